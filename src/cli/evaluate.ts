import { createReadStream, renameSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Model } from '../core/model/model.js';
import type { ThresholdBudget, ThresholdOutcome, Thresholds } from '../core/model/thresholds.js';
import { type EvaluationReport, evaluateHistory, SYSTEMS, type ThresholdReport } from '../pipeline/evaluate.js';
import { renderEvaluationHtml } from '../report/evaluationHtml.js';
import { CliInputError, HISTORY_FLAGS, historyContext, historyOptions, parseDateFlag, readModel, writableTarget } from './history.js';
import { ProgressBar } from './progress.js';
import { protocolCommand } from './protocol.js';
import { int, money, ratio, table } from './table.js';

/**
 * `fraudmini evaluate <labelled.csv> --model m.json [--from DATE] [--to DATE] [--label-delay 7d]
 *  [--report report.html] [--json] [--review-capacity N/day] [--cost-fp X --cost-fn Y]
 *  [--validation-from DATE --validation-to DATE]`, or with `--protocol handbook [--seeds 1,2,3,4,5]` the
 * handbook's protocol (see {@link protocolCommand}).
 */
export async function evaluateCommand(args: string[], env: Record<string, string | undefined>): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      model: { type: 'string' },
      ...HISTORY_FLAGS,
      report: { type: 'string' },
      json: { type: 'boolean' },
      protocol: { type: 'string' },
      seeds: { type: 'string' },
      customers: { type: 'string' },
      terminals: { type: 'string' },
      trees: { type: 'string' },
      tune: { type: 'boolean' },
      'review-capacity': { type: 'string' },
      'cost-fp': { type: 'string' },
      'cost-fn': { type: 'string' },
      'validation-from': { type: 'string' },
      'validation-to': { type: 'string' },
    },
    strict: true,
    allowPositionals: true,
  });
  const thresholdFlags = ['review-capacity', 'cost-fp', 'cost-fn', 'validation-from', 'validation-to'] as const;
  if (values.protocol !== undefined) {
    for (const flag of thresholdFlags) if (values[flag] !== undefined) throw new CliInputError(`--${flag} does not go with --protocol`);
    return protocolCommand(positionals, values, env);
  }
  for (const flag of ['seeds', 'customers', 'terminals', 'trees', 'tune'] as const) {
    if (values[flag] !== undefined) throw new CliInputError(`--${flag} goes with --protocol handbook`);
  }
  if (positionals.length !== 1) throw new CliInputError('evaluate takes one labelled CSV file');
  if (values.model === undefined) throw new CliInputError('evaluate needs --model <model.json>');
  if (values.report !== undefined) writableTarget(values.report, '--report');
  const model = readModel(values.model);
  const ctx = historyContext(positionals[0], values, env);
  const budget = thresholdBudget(values);
  if (!budget && (values['validation-from'] !== undefined || values['validation-to'] !== undefined)) {
    throw new CliInputError('--validation-from and --validation-to go with --review-capacity or --cost-fp/--cost-fn');
  }
  const validation = budget ? validationPeriod(values, model) : undefined;
  const bar = new ProgressBar({ total: ctx.size, label: 'evaluating' });
  let report: Awaited<ReturnType<typeof evaluateHistory>>;
  try {
    report = await evaluateHistory(createReadStream(ctx.input, { highWaterMark: 1 << 20 }), {
      ...historyOptions(ctx, (bytes, rows) => bar.update(bytes, rows)),
      model,
      budget,
      validation,
    });
  } finally {
    bar.done();
  }
  if (report.rows === 0) throw new CliInputError('no labelled rows in the evaluation period');
  if (values.report !== undefined) {
    writeFileSync(`${values.report}.part`, renderEvaluationHtml(report), { mode: 0o600 });
    renameSync(`${values.report}.part`, values.report);
  }
  if (values.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return 0;
  }
  const rows = SYSTEMS.map((name) => {
    const m = report.systems[name];
    return [
      name,
      ratio(m.auc),
      ratio(m.averagePrecision),
      ratio(m.cardPrecisionAt100),
      ratio(m.atReview.precision),
      ratio(m.atReview.recall),
      ratio(m.atBlock.precision),
      ratio(m.atBlock.recall),
    ];
  });
  process.stdout.write(
    `${report.file}: ${int(report.rows)} labelled transactions (${int(report.frauds)} fraud) over ${report.days} days` +
      ` from ${report.from ?? 'the start'} to ${report.to ?? 'the end'}; model ${report.modelVersion}, rules ${report.rulesVersion}\n\n` +
      `${table(
        [
          'system',
          'AUC',
          'avg precision',
          'card P@100',
          `P@review(${report.systems.rules.atReview.threshold})`,
          'R@review',
          `P@block(${report.systems.rules.atBlock.threshold})`,
          'R@block',
        ],
        rows,
      )}\n\n` +
      calibrationText(report) +
      (report.thresholds ? `\n${thresholdsText(report.thresholds)}` : '') +
      (values.report !== undefined ? `\nreport: ${values.report}\n` : ''),
  );
  return 0;
}

/** The threshold budget from `--review-capacity N/day`, `--cost-fp X` and `--cost-fn Y`, if any is given. */
function thresholdBudget(values: { 'review-capacity'?: string; 'cost-fp'?: string; 'cost-fn'?: string }): ThresholdBudget | undefined {
  const capacity = values['review-capacity'];
  const fp = values['cost-fp'];
  const fn = values['cost-fn'];
  if (capacity === undefined && fp === undefined && fn === undefined) return undefined;
  if ((fp === undefined) !== (fn === undefined)) throw new CliInputError('--cost-fp and --cost-fn go together');
  const budget: ThresholdBudget = {};
  if (capacity !== undefined) {
    const m = /^\s*(\d+(?:\.\d+)?)\s*(?:\/\s*day)?\s*$/.exec(capacity);
    if (!m) throw new CliInputError(`--review-capacity must be reviews a day, e.g. 200/day, got "${capacity}"`);
    budget.reviewCapacityPerDay = Number(m[1]);
  }
  if (fp !== undefined && fn !== undefined) {
    budget.costFp = positive(fp, '--cost-fp');
    budget.costFn = positive(fn, '--cost-fn');
  }
  return budget;
}

function positive(raw: string, flag: string): number {
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(v) || v <= 0) throw new CliInputError(`${flag} must be a positive number, got "${raw}"`);
  return v;
}

/**
 * The period thresholds are chosen on: `--validation-from/--validation-to`, by default the
 * model's own validation rows (the latest training rows, held out from the trees).
 */
function validationPeriod(values: { 'validation-from'?: string; 'validation-to'?: string }, model: Model): { from: number; to: number } {
  const cal = model.file.calibration;
  const from = parseDateFlag(values['validation-from'], '--validation-from') ?? (cal ? Date.parse(cal.from) : undefined);
  const to =
    parseDateFlag(values['validation-to'], '--validation-to') ??
    (cal ? (model.file.training.to !== null ? Date.parse(model.file.training.to) : Date.parse(cal.to) + 1) : undefined);
  if (from === undefined || to === undefined) {
    throw new CliInputError(
      'this model file names no validation period (it was trained before calibration): give --validation-from and --validation-to',
    );
  }
  if (to <= from) throw new CliInputError('--validation-to must be after --validation-from');
  return { from, to };
}

function calibrationText(report: EvaluationReport): string {
  const c = report.calibration;
  const rows = c.reliability.map((b) => [
    `${b.from.toFixed(3)}–${b.to.toFixed(3)}`,
    int(b.rows),
    b.predicted.toFixed(4),
    b.observed.toFixed(4),
  ]);
  return (
    `calibration of the model (score / 100 as a fraud probability${c.calibrated ? ', calibrated on validation' : ', uncalibrated model'}): ` +
    `Brier score ${c.brier.toFixed(5)}\n\n` +
    `${table(['probability band', 'rows', 'predicted', 'observed'], rows)}\n`
  );
}

function thresholdsText(t: ThresholdReport): string {
  const b = t.budget;
  const wants = [
    b.reviewCapacityPerDay !== undefined ? `${b.reviewCapacityPerDay} reviews/day` : '',
    b.costFp !== undefined ? `a blocked legit costs ${b.costFp}, a missed fraud ${b.costFn}` : '',
  ]
    .filter((s) => s !== '')
    .join('; ');
  const th = (v: number): string => (v > 100 ? 'off' : v.toFixed(2));
  const row = (name: string, thr: Thresholds, o: ThresholdOutcome): string[] => [
    name,
    th(thr.review),
    th(thr.block),
    int(o.caughtFraud),
    int(o.blockedFraud),
    int(o.reviewedFraud),
    money(o.caughtMoney),
    int(o.falsePositives),
    o.reviewsPerDay.toFixed(1),
    o.cost === undefined ? '-' : money(o.cost),
  ];
  return (
    `thresholds for ${wants}, chosen on ${t.validation.from} to ${t.validation.to} ` +
    `(${int(t.validation.rows)} labelled rows, ${int(t.validation.frauds)} fraud), on the combined score;\n` +
    `what they would have done on the evaluation period (${t.test.days} days):\n\n` +
    `${table(
      ['thresholds', 'review', 'block', 'caught fraud', 'fraud blocked', 'fraud reviewed', 'money caught', 'false positives', 'reviews/day', 'cost'],
      [row('in force', t.current, t.test.current), row('recommended', t.recommended, t.test.recommended)],
    )}\n`
  );
}
