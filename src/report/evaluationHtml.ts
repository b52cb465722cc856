import type { Point } from '../core/metrics.js';
// Types only: rendering a saved report must not load the scoring pipeline.
import type { ThresholdOutcome } from '../core/model/thresholds.js';
import type { EvaluationReport, SystemMetrics, SystemName, ThresholdReport } from '../pipeline/evaluate.js';

/** Options of {@link renderEvaluationHtml}. */
export interface EvaluationHtmlOptions {
  /** Page heading and `<title>`. @default 'Fraud detection evaluation' */
  title?: string;
  /** Shown in the header when given (the renderer never reads the clock itself). */
  generatedAt?: Date;
}

/**
 * Renders an evaluation as one self-contained HTML page: context, a metrics table and inline SVG
 * charts (PR and ROC curves, score distributions, feature importances). Pure: no I/O, no clock,
 * no scripts, nothing fetched, so the page reads the same offline and in a mail attachment.
 * Every string taken from the report is escaped (file names are user input).
 *
 * @example
 * const report = await evaluateHistory(createReadStream('history.csv'), options);
 * writeFileSync('report.html', renderEvaluationHtml(report, { generatedAt: new Date() }));
 */
export function renderEvaluationHtml(report: EvaluationReport, options: EvaluationHtmlOptions = {}): string {
  const title = options.title ?? 'Fraud detection evaluation';
  const subtitle = [report.file, options.generatedAt ? `generated ${formatDate(options.generatedAt.toISOString())}` : '']
    .filter((s) => s !== '')
    .map(esc)
    .join(' · ');
  const systems = SYSTEM_ORDER.filter((name) => report.systems[name] !== undefined);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>${esc(title)}</h1>
<p class="sub">${subtitle}</p>
</header>
<section>
<h2>Context</h2>
${contextList(report)}
</section>
<section>
<h2>Metrics</h2>
${metricsTable(report, systems)}
<p class="note">AP is average precision (the area under the step-wise precision–recall curve). Card
precision@100 is the share of the 100 highest-scoring cards of each day that had a fraud that day,
averaged over days. A transaction is flagged when its score is at or above the threshold.</p>
</section>
<section>
<h2>Ranking quality</h2>
<div class="charts">
${prChart(report, systems)}
${rocChart(report, systems)}
</div>
</section>
<section>
<h2>Score distributions</h2>
<p class="note">Transactions per 5-point score band, legit and fraud side by side, on a logarithmic
scale so the small fraud class stays visible. Dashed lines mark the review and block thresholds.</p>
<div class="charts">
${distributionCharts(report, systems)}
</div>
</section>
${calibrationSection(report)}
${report.thresholds ? thresholdsSection(report.thresholds) : ''}
<section>
<h2>Feature importance</h2>
<p class="note">Share of the model's total split gain, top ${TOP_FEATURES} features.</p>
${importanceChart(report)}
</section>
</body>
</html>
`;
}

const TOP_FEATURES = 20;

const COLORS: Record<SystemName, { stroke: string; dash: string }> = {
  rules: { stroke: '#d95f02', dash: '7 4' },
  model: { stroke: '#1b9e77', dash: '' },
  combined: { stroke: '#7570b3', dash: '2 3' },
};
/** Columns and legends in this order (a `Record` over SystemName, so no system can be missing). */
const SYSTEM_ORDER = Object.keys(COLORS) as SystemName[];
const LEGIT = '#7f9cc0';
const FRAUD = '#d62728';
const AXIS = '#555';
const GRID = '#e6e6e6';

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#222;background:#fff;margin:0}
header,section{max-width:1060px;margin:0 auto;padding:0 24px}
header{padding-top:24px}
h1{font-size:24px;margin:0 0 4px}
h2{font-size:18px;margin:28px 0 10px;padding-bottom:4px;border-bottom:1px solid #ddd}
.sub{color:#666;margin:0;word-break:break-all}
.note{color:#555;font-size:13px;max-width:820px}
dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 18px;margin:0}
dt{color:#666}dd{margin:0;word-break:break-all}
table{border-collapse:collapse;font-variant-numeric:tabular-nums}
th,td{padding:5px 14px;border-bottom:1px solid #e3e3e3;text-align:right}
th:first-child,td:first-child{text-align:left}
thead th{border-bottom:2px solid #bbb}
tbody th{font-weight:normal;color:#333}
tr.group th{padding-top:12px;font-weight:600;color:#222}
td.best{font-weight:700}
.swatch{display:inline-block;width:18px;height:3px;vertical-align:middle;margin-right:6px}
.charts{display:flex;flex-wrap:wrap;gap:18px}
figure{margin:0}
svg{display:block;font-size:12px;font-family:inherit}
svg text{fill:#333}
svg .axis-label{fill:#222;font-weight:600}
`;

// ——— context and table ———

function contextList(report: EvaluationReport): string {
  const fraudShare = report.rows > 0 ? ` (${percent(report.frauds / report.rows, 2)})` : '';
  const items: [string, string][] = [
    ['File', report.file],
    ['Period', `${report.from !== null ? formatDate(report.from) : 'start of file'} → ${report.to !== null ? formatDate(report.to) : 'end of file'}`],
    ['Label delay', formatDuration(report.labelDelayMs)],
    ['Model version', report.modelVersion],
    ['Rules version', report.rulesVersion],
    ['Labelled rows', count(report.rows)],
    ['Frauds', `${count(report.frauds)}${fraudShare}`],
    ['Days', count(report.days)],
  ];
  return `<dl>${items.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('')}</dl>`;
}

interface Row {
  label: string;
  value: (m: SystemMetrics) => number;
  format: (v: number) => string;
  /** Mark the best system (for rates where higher is better). */
  best: boolean;
}

function metricsTable(report: EvaluationReport, systems: SystemName[]): string {
  const first = report.systems[systems[0] ?? 'rules'];
  const ratio = (v: number): string => fixed(v, 3);
  const pct = (v: number): string => percent(v, 1);
  const flagged = (v: number): string => (report.rows > 0 && isNumber(v) ? `${count(v)} (${percent(v / report.rows, 2)})` : count(v));
  const groups: { title?: string; rows: Row[] }[] = [
    {
      rows: [
        { label: 'ROC AUC', value: (m) => m.auc, format: ratio, best: true },
        { label: 'Average precision (AP)', value: (m) => m.averagePrecision, format: ratio, best: true },
        { label: 'Card precision@100', value: (m) => m.cardPrecisionAt100, format: ratio, best: true },
      ],
    },
    {
      title: `At the review threshold (score ≥ ${fixed(first?.atReview.threshold ?? Number.NaN, 0)})`,
      rows: [
        { label: 'Precision', value: (m) => m.atReview.precision, format: pct, best: true },
        { label: 'Recall', value: (m) => m.atReview.recall, format: pct, best: true },
        { label: 'Flagged', value: (m) => m.atReview.flagged, format: flagged, best: false },
      ],
    },
    {
      title: `At the block threshold (score ≥ ${fixed(first?.atBlock.threshold ?? Number.NaN, 0)})`,
      rows: [
        { label: 'Precision', value: (m) => m.atBlock.precision, format: pct, best: true },
        { label: 'Recall', value: (m) => m.atBlock.recall, format: pct, best: true },
        { label: 'Flagged', value: (m) => m.atBlock.flagged, format: flagged, best: false },
      ],
    },
  ];
  const head = systems
    .map((s) => `<th><span class="swatch" style="background:${COLORS[s].stroke}"></span>${esc(s)}</th>`)
    .join('');
  const body = groups
    .map((g) => {
      const title = g.title ? `<tr class="group"><th colspan="${systems.length + 1}">${esc(g.title)}</th></tr>` : '';
      const rows = g.rows.map((row) => {
        const values = systems.map((s) => row.value(report.systems[s]));
        const finite = values.filter(isNumber);
        const top = row.best && finite.length > 1 ? Math.max(...finite) : Number.NaN;
        const cells = values
          .map((v) => `<td${v === top ? ' class="best"' : ''}>${esc(row.format(v))}</td>`)
          .join('');
        return `<tr><th>${esc(row.label)}</th>${cells}</tr>`;
      });
      return title + rows.join('');
    })
    .join('\n');
  return `<table>\n<thead><tr><th>Metric</th>${head}</tr></thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}

// ——— charts ———

/** Plot area of a chart inside its SVG. */
interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

const CURVE_FRAME: Frame = { width: 470, height: 460, left: 58, right: 450, top: 14, bottom: 340 };

function sx(f: Frame, v: number): number {
  return round(f.left + v * (f.right - f.left));
}

function sy(f: Frame, v: number): number {
  return round(f.bottom - v * (f.bottom - f.top));
}

/** Axes, grid and tick labels of a unit square (0–1 on both axes). */
function unitAxes(f: Frame, xLabel: string, yLabel: string): string {
  const out: string[] = [];
  for (let i = 0; i <= 5; i++) {
    const v = i / 5;
    const x = sx(f, v);
    const y = sy(f, v);
    out.push(`<line x1="${x}" y1="${f.top}" x2="${x}" y2="${f.bottom}" stroke="${GRID}"/>`);
    out.push(`<line x1="${f.left}" y1="${y}" x2="${f.right}" y2="${y}" stroke="${GRID}"/>`);
    out.push(`<line x1="${x}" y1="${f.bottom}" x2="${x}" y2="${f.bottom + 5}" stroke="${AXIS}"/>`);
    out.push(`<line x1="${f.left - 5}" y1="${y}" x2="${f.left}" y2="${y}" stroke="${AXIS}"/>`);
    out.push(`<text x="${x}" y="${f.bottom + 18}" text-anchor="middle">${fixed(v, 1)}</text>`);
    out.push(`<text x="${f.left - 8}" y="${y + 4}" text-anchor="end">${fixed(v, 1)}</text>`);
  }
  out.push(frameLines(f));
  out.push(axisLabels(f, xLabel, yLabel));
  return out.join('');
}

function frameLines(f: Frame): string {
  return (
    `<line x1="${f.left}" y1="${f.bottom}" x2="${f.right}" y2="${f.bottom}" stroke="${AXIS}"/>` +
    `<line x1="${f.left}" y1="${f.top}" x2="${f.left}" y2="${f.bottom}" stroke="${AXIS}"/>`
  );
}

function axisLabels(f: Frame, xLabel: string, yLabel: string): string {
  const cy = round((f.top + f.bottom) / 2);
  return (
    `<text class="axis-label" x="${round((f.left + f.right) / 2)}" y="${f.bottom + 38}" text-anchor="middle">${esc(xLabel)}</text>` +
    `<text class="axis-label" x="14" y="${cy}" text-anchor="middle" transform="rotate(-90 14 ${cy})">${esc(yLabel)}</text>`
  );
}

/** Legend rows below the plot: a line sample and a text per series. */
function lineLegend(f: Frame, items: { system: SystemName; text: string }[]): string {
  return items
    .map((item, i) => {
      const y = f.bottom + 62 + i * 20;
      const c = COLORS[item.system];
      return (
        `<line x1="${f.left}" y1="${y - 4}" x2="${f.left + 30}" y2="${y - 4}" stroke="${c.stroke}" stroke-width="2.5"${dash(c.dash)}/>` +
        `<text x="${f.left + 38}" y="${y}">${esc(item.text)}</text>`
      );
    })
    .join('');
}

function svgOpen(f: Frame, title: string): string {
  return `<svg width="${f.width}" height="${f.height}" viewBox="0 0 ${f.width} ${f.height}" role="img"><title>${esc(title)}</title>`;
}

function curve(f: Frame, system: SystemName, d: string): string {
  const c = COLORS[system];
  return `<path d="${d}" fill="none" stroke="${c.stroke}" stroke-width="2.2" stroke-linejoin="round" stroke-linecap="round"${dash(c.dash)}><title>${esc(system)}</title></path>`;
}

// ——— calibration and thresholds ———

/** Probabilities on a square-root scale, so the small ones where most transactions are stay apart. */
const RELIABILITY_TICKS = [0, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 1];

function calibrationSection(report: EvaluationReport): string {
  // A report saved by an earlier version has no calibration part.
  const c = report.calibration as EvaluationReport['calibration'] | undefined;
  if (!c) return '';
  const f = CURVE_FRAME;
  const at = (v: number): number => Math.sqrt(Math.min(Math.max(v, 0), 1));
  const grid = RELIABILITY_TICKS.map((v) => {
    const x = sx(f, at(v));
    const y = sy(f, at(v));
    return (
      `<line x1="${x}" y1="${f.top}" x2="${x}" y2="${f.bottom}" stroke="${GRID}"/>` +
      `<line x1="${f.left}" y1="${y}" x2="${f.right}" y2="${y}" stroke="${GRID}"/>` +
      `<text x="${x}" y="${f.bottom + 18}" text-anchor="middle">${v}</text>` +
      `<text x="${f.left - 8}" y="${y + 4}" text-anchor="end">${v}</text>`
    );
  }).join('');
  const diagonal = `<line x1="${sx(f, 0)}" y1="${sy(f, 0)}" x2="${sx(f, 1)}" y2="${sy(f, 1)}" stroke="#aaa" stroke-dasharray="4 4"><title>perfect calibration</title></line>`;
  const bins = c.reliability.filter((b) => isNumber(b.predicted) && isNumber(b.observed));
  const line = bins.map((b, i) => `${i === 0 ? 'M' : 'L'}${sx(f, at(b.predicted))},${sy(f, at(b.observed))}`).join('');
  const dots = bins
    .map(
      (b) =>
        `<circle cx="${sx(f, at(b.predicted))}" cy="${sy(f, at(b.observed))}" r="4" fill="${COLORS.model.stroke}">` +
        `<title>${esc(`${fixed(b.from, 3)}–${fixed(b.to, 3)}: ${count(b.rows)} rows, predicted ${fixed(b.predicted, 4)}, observed ${fixed(b.observed, 4)}`)}</title></circle>`,
    )
    .join('');
  const chart =
    `<figure>${svgOpen(f, 'Reliability curve')}${grid}${frameLines(f)}${axisLabels(f, 'Predicted fraud probability (√ scale)', 'Observed fraud rate (√ scale)')}` +
    `${diagonal}<path d="${line}" fill="none" stroke="${COLORS.model.stroke}" stroke-width="2"/>${dots}</svg></figure>`;
  const rows = c.reliability
    .map((b) => `<tr><th>${esc(`${fixed(b.from, 3)}–${fixed(b.to, 3)}`)}</th><td>${count(b.rows)}</td><td>${fixed(b.predicted, 4)}</td><td>${fixed(b.observed, 4)}</td></tr>`)
    .join('');
  return (
    `<section>\n<h2>Calibration</h2>\n<p class="note">The model's score / 100 read as a fraud probability${c.calibrated ? ' (the model was calibrated on its validation rows)' : ' (this model file carries no calibration)'}. ` +
    `Brier score ${fixed(c.brier, 5)} (the mean squared error of that probability; lower is better). A calibrated model follows the dashed diagonal.</p>` +
    `<div class="charts">${chart}<table><thead><tr><th>Probability band</th><th>Rows</th><th>Predicted</th><th>Observed</th></tr></thead><tbody>${rows}</tbody></table></div>\n</section>`
  );
}

function thresholdsSection(t: ThresholdReport): string {
  const th = (v: number): string => (v > 100 ? 'off' : fixed(v, 2));
  const row = (name: string, r: number, b: number, o: ThresholdOutcome): string =>
    `<tr><th>${esc(name)}</th><td>${th(r)}</td><td>${th(b)}</td><td>${count(o.caughtFraud)}</td><td>${count(Math.round(o.caughtMoney))}</td>` +
    `<td>${count(o.falsePositives)}</td><td>${fixed(o.reviewsPerDay, 1)}</td><td>${o.cost === undefined ? '-' : count(Math.round(o.cost))}</td></tr>`;
  return (
    `<section>\n<h2>Thresholds</h2>\n<p class="note">Chosen on ${esc(formatDate(t.validation.from))} → ${esc(formatDate(t.validation.to))} ` +
    `(${count(t.validation.rows)} labelled rows, ${count(t.validation.frauds)} fraud) on the combined score, measured on the evaluation period (${count(t.test.days)} days).</p>` +
    `<table><thead><tr><th>Thresholds</th><th>Review</th><th>Block</th><th>Caught fraud</th><th>Money caught</th><th>False positives</th><th>Reviews/day</th><th>Cost</th></tr></thead><tbody>` +
    row('in force', t.current.review, t.current.block, t.test.current) +
    row('recommended', t.recommended.review, t.recommended.block, t.test.recommended) +
    `</tbody></table>\n</section>`
  );
}

function finitePoints(points: Point[] | undefined): Point[] {
  return (points ?? []).filter((p) => isNumber(p.x) && isNumber(p.y));
}

function prChart(report: EvaluationReport, systems: SystemName[]): string {
  const f = CURVE_FRAME;
  const paths = systems.map((s) => {
    // Step-wise, as average precision integrates it: precision p_k over recall (r_{k−1}, r_k].
    const pts = finitePoints(report.systems[s].pr);
    if (pts.length === 0) return '';
    let prev = 0;
    const d = [`M${sx(f, 0)},${sy(f, (pts[0] as Point).y)}`];
    for (const p of pts) {
      d.push(`L${sx(f, prev)},${sy(f, p.y)}`, `L${sx(f, p.x)},${sy(f, p.y)}`);
      prev = p.x;
    }
    return curve(f, s, d.join(''));
  });
  const legend = lineLegend(
    f,
    systems.map((s) => ({ system: s, text: `${s} — AP ${fixed(report.systems[s].averagePrecision, 3)}` })),
  );
  return `<figure>${svgOpen(f, 'Precision–recall curves')}${unitAxes(f, 'Recall', 'Precision')}${paths.join('')}${legend}</svg></figure>`;
}

function rocChart(report: EvaluationReport, systems: SystemName[]): string {
  const f = CURVE_FRAME;
  const chance = `<line x1="${sx(f, 0)}" y1="${sy(f, 0)}" x2="${sx(f, 1)}" y2="${sy(f, 1)}" stroke="#aaa" stroke-dasharray="4 4"><title>chance</title></line>`;
  const paths = systems.map((s) => {
    const pts = finitePoints(report.systems[s].roc);
    if (pts.length === 0) return '';
    return curve(f, s, pts.map((p, i) => `${i === 0 ? 'M' : 'L'}${sx(f, p.x)},${sy(f, p.y)}`).join(''));
  });
  const legend = lineLegend(
    f,
    systems.map((s) => ({ system: s, text: `${s} — AUC ${fixed(report.systems[s].auc, 3)}` })),
  );
  return `<figure>${svgOpen(f, 'ROC curves')}${unitAxes(f, 'False positive rate', 'True positive rate')}${chance}${paths.join('')}${legend}</svg></figure>`;
}

const HIST_FRAME: Frame = { width: 340, height: 290, left: 64, right: 328, top: 30, bottom: 218 };

function distributionCharts(report: EvaluationReport, systems: SystemName[]): string {
  // One log scale for all three charts, so they compare at a glance.
  let max = 1;
  for (const s of systems) {
    const d = report.systems[s].distribution;
    for (const v of [...d.legit, ...d.fraud]) if (isNumber(v) && v > max) max = v;
  }
  const decades = Math.max(1, Math.ceil(Math.log10(max)));
  const f = HIST_FRAME;
  // log(1 + count): 0 sits on the axis, and the top gridline is 10^decades exactly.
  const scale = (c: number): number => Math.log10(1 + c) / Math.log10(1 + 10 ** decades);
  return systems
    .map((s) => {
      const m = report.systems[s];
      const bins = Math.max(m.distribution.legit.length, m.distribution.fraud.length, 1);
      const bandWidth = (f.right - f.left) / bins;
      const out: string[] = [svgOpen(f, `Score distribution: ${s}`)];
      out.push(`<text class="axis-label" x="${f.left}" y="16" fill="${COLORS[s].stroke}">${esc(s)}</text>`);
      for (let k = 0; k <= decades; k++) {
        const y = sy(f, scale(k === 0 ? 0 : 10 ** k));
        out.push(`<line x1="${f.left}" y1="${y}" x2="${f.right}" y2="${y}" stroke="${GRID}"/>`);
        out.push(`<line x1="${f.left - 5}" y1="${y}" x2="${f.left}" y2="${y}" stroke="${AXIS}"/>`);
        out.push(`<text x="${f.left - 8}" y="${y + 4}" text-anchor="end">${k === 0 ? '0' : compact(10 ** k)}</text>`);
      }
      for (let b = 0; b < bins; b++) {
        const legit = m.distribution.legit[b] ?? 0;
        const fraud = m.distribution.fraud[b] ?? 0;
        const x0 = f.left + b * bandWidth;
        const lo = round((b * 100) / bins);
        const hi = round(((b + 1) * 100) / bins);
        const tip = `${s}, score ${lo}–${hi}: ${count(legit)} legit, ${count(fraud)} fraud`;
        for (const [i, c, color] of [
          [0, legit, LEGIT],
          [1, fraud, FRAUD],
        ] as const) {
          if (!(c > 0)) continue;
          const y = sy(f, scale(c));
          out.push(
            `<rect x="${round(x0 + 1 + (i * (bandWidth - 2)) / 2)}" y="${y}" width="${round((bandWidth - 2) / 2)}" height="${round(f.bottom - y)}" fill="${color}"><title>${esc(tip)}</title></rect>`,
          );
        }
      }
      for (let v = 0; v <= 100; v += 20) {
        const x = sx(f, v / 100);
        out.push(`<line x1="${x}" y1="${f.bottom}" x2="${x}" y2="${f.bottom + 5}" stroke="${AXIS}"/>`);
        out.push(`<text x="${x}" y="${f.bottom + 18}" text-anchor="middle">${v}</text>`);
      }
      for (const [name, t] of [
        ['review', m.atReview.threshold],
        ['block', m.atBlock.threshold],
      ] as const) {
        if (!isNumber(t)) continue;
        const x = sx(f, Math.min(Math.max(t, 0), 100) / 100);
        out.push(`<line x1="${x}" y1="${f.top - 4}" x2="${x}" y2="${f.bottom}" stroke="#333" stroke-dasharray="3 3"/>`);
        out.push(`<text x="${x}" y="${f.top - 7}" text-anchor="middle" font-size="10">${name}</text>`);
      }
      out.push(frameLines(f));
      out.push(axisLabels(f, 'Score', 'Transactions (log)'));
      const legit = m.distribution.legit.reduce((a, b) => a + b, 0);
      const fraud = m.distribution.fraud.reduce((a, b) => a + b, 0);
      const ly = f.bottom + 60;
      out.push(
        `<rect x="${f.left}" y="${ly - 10}" width="12" height="12" fill="${LEGIT}"/><text x="${f.left + 18}" y="${ly}">legit (${count(legit)})</text>` +
          `<rect x="${f.left + 140}" y="${ly - 10}" width="12" height="12" fill="${FRAUD}"/><text x="${f.left + 158}" y="${ly}">fraud (${count(fraud)})</text>`,
      );
      out.push('</svg>');
      return `<figure>${out.join('')}</figure>`;
    })
    .join('\n');
}

function importanceChart(report: EvaluationReport): string {
  const top = report.importance.filter((i) => isNumber(i.share) && i.share > 0).slice(0, TOP_FEATURES);
  if (top.length === 0) return '<p class="note">The model file lists no feature importances.</p>';
  const rowHeight = 20;
  const f: Frame = { width: 760, height: 0, left: 210, right: 690, top: 8, bottom: 8 + top.length * rowHeight };
  f.height = f.bottom + 52;
  const max = Math.max(...top.map((i) => i.share));
  const step = niceStep(max);
  const axisMax = Math.ceil(max / step - 1e-9) * step;
  const x = (v: number): number => round(f.left + (v / axisMax) * (f.right - f.left));
  const out: string[] = [svgOpen(f, 'Feature importance')];
  for (let v = 0; v <= axisMax + step / 2; v += step) {
    const xv = x(v);
    out.push(`<line x1="${xv}" y1="${f.top}" x2="${xv}" y2="${f.bottom}" stroke="${GRID}"/>`);
    out.push(`<line x1="${xv}" y1="${f.bottom}" x2="${xv}" y2="${f.bottom + 5}" stroke="${AXIS}"/>`);
    out.push(`<text x="${xv}" y="${f.bottom + 18}" text-anchor="middle">${percent(v, step < 0.01 ? 1 : 0)}</text>`);
  }
  top.forEach((item, i) => {
    const y = f.top + i * rowHeight;
    const w = x(item.share) - f.left;
    out.push(`<text x="${f.left - 8}" y="${y + 14}" text-anchor="end">${esc(item.feature)}</text>`);
    out.push(
      `<rect x="${f.left}" y="${y + 3}" width="${round(w)}" height="${rowHeight - 6}" fill="${COLORS.model.stroke}"><title>${esc(`${item.feature}: ${percent(item.share, 2)}`)}</title></rect>`,
    );
    out.push(`<text x="${round(f.left + w + 5)}" y="${y + 14}" font-size="11">${percent(item.share, 1)}</text>`);
  });
  out.push(frameLines(f));
  out.push(`<text class="axis-label" x="${round((f.left + f.right) / 2)}" y="${f.bottom + 38}" text-anchor="middle">Share of split gain</text>`);
  out.push('</svg>');
  return `<figure>${out.join('')}</figure>`;
}

// ——— formatting ———

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML content and attribute values alike. */
function esc(value: string): string {
  return String(value).replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

function dash(pattern: string): string {
  return pattern === '' ? '' : ` stroke-dasharray="${pattern}"`;
}

/** A report read back from JSON has null where NaN was: treat anything but a finite number as n/a. */
function isNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

function round(v: number): number {
  return Math.round(v * 10) / 10;
}

function fixed(v: number, digits: number): string {
  return isNumber(v) ? v.toFixed(digits) : 'n/a';
}

function percent(v: number, digits: number): string {
  return isNumber(v) ? `${(v * 100).toFixed(digits)}%` : 'n/a';
}

function count(v: number): string {
  return isNumber(v) ? v.toLocaleString('en-US') : 'n/a';
}

/** 1, 10, 100, 1k, 10k, 100k, 1M… */
function compact(v: number): string {
  if (v >= 1e9) return `${v / 1e9}G`;
  if (v >= 1e6) return `${v / 1e6}M`;
  if (v >= 1e3) return `${v / 1e3}k`;
  return String(v);
}

/** A tick step of 1, 2 or 5 × 10^k giving at most about five ticks up to `max`. */
function niceStep(max: number): number {
  const raw = max / 5;
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

/** `2024-02-10T00:00:00.000Z` → `2024-02-10`; other times → `2024-02-10 13:45:00 UTC`. */
function formatDate(iso: string): string {
  if (/^\d{4}-\d\d-\d\dT00:00:00(\.000)?Z$/.test(iso)) return iso.slice(0, 10);
  const m = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(\.\d+)?Z$/.exec(iso);
  return m ? `${m[1]} ${m[2]} UTC` : iso;
}

/** Milliseconds as `7d`, `36h`, `90m`, `45s` or `0`. */
function formatDuration(ms: number): string {
  if (!isNumber(ms)) return 'n/a';
  if (ms === 0) return '0 (labels known at once)';
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms} ms`;
}
