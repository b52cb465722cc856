import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';
import { loadRulesFile } from '../../src/adapters/local/FileRulesSource.js';
import { loadModel } from '../../src/core/model/model.js';
import { BUNDLED_RULES } from '../../src/local/wiring.js';
import { evaluateHistory } from '../../src/pipeline/evaluate.js';
import { type TrainOptions, TUNE_CANDIDATES, trainModel } from '../../src/pipeline/train.js';
import { renderEvaluationHtml } from '../../src/report/evaluationHtml.js';
import { chunked, type LabelledRow, labelledCsv, labelledHistory } from '../helpers/labelledHistory.js';
import { T0, testTokenizer } from '../helpers/transactions.js';

const DAY = 86_400_000;
const history = labelledHistory();
const csv = labelledCsv(history.rows);
/** Training is on the first 40 days, evaluation on the last 20. */
const SPLIT = history.start + 40 * DAY;

function options(overrides: Partial<TrainOptions> = {}): TrainOptions {
  return {
    fileKey: 'history.csv',
    tokenizer: testTokenizer(),
    rules: loadRulesFile(BUNDLED_RULES),
    labelDelayMs: DAY,
    gbdt: { trees: 80 },
    now: () => new Date(T0),
    ...overrides,
  };
}

function labelledIn(rows: readonly LabelledRow[], from: number, to: number): LabelledRow[] {
  return rows.filter((r) => r.label !== undefined && r.timestamp >= from && r.timestamp < to);
}

describe('trainModel', () => {
  it('trains on the labelled rows only', async () => {
    // Prepare
    const inPeriod = history.rows.filter((r) => r.timestamp < SPLIT);
    const labelled = labelledIn(history.rows, -Infinity, SPLIT);
    const unlabelled = inPeriod.length - labelled.length;

    // Act
    const file = await trainModel(chunked(csv), options({ to: SPLIT }));

    // Assess: every 20th row has no label, and none of them is counted.
    expect(unlabelled).toBeGreaterThan(100);
    expect(file.training.rows).toBe(labelled.length);
    expect(file.training.positives).toBe(labelled.filter((r) => r.label === 1).length);
    expect(file.training.negatives_kept + file.training.positives).toBe(labelled.length);
    expect(file.training.negative_weight).toBe(1);
    expect(file.training.from).toBeNull();
    expect(file.training.to).toBe(new Date(SPLIT).toISOString());
    expect(file.training.label_delay_ms).toBe(DAY);
  });

  it('counts only the --from/--to period, while earlier rows still shape the features', async () => {
    // Prepare
    const from = history.start + 20 * DAY;
    const withoutEarlier = labelledCsv(history.rows.filter((r) => r.timestamp >= from));

    // Act
    const full = await trainModel(chunked(csv), options({ from, to: SPLIT }));
    const cut = await trainModel(chunked(withoutEarlier), options({ from, to: SPLIT }));

    // Assess: the same training rows, but different features (history, known labels), so different trees.
    expect(full.training.rows).toBe(labelledIn(history.rows, from, SPLIT).length);
    expect(cut.training.rows).toBe(full.training.rows);
    expect(full.training.from).toBe(new Date(from).toISOString());
    expect(full.version).not.toBe(cut.version);
  });

  it('gives the same model version for the same input', async () => {
    // Prepare
    const opts = options({ to: SPLIT });

    // Act
    const a = await trainModel(chunked(csv), opts);
    const b = await trainModel(chunked(csv, 777), { ...opts, now: () => new Date(T0 + DAY) });

    // Assess: chunking and the clock do not matter.
    expect(b.version).toBe(a.version);
    expect(b.trees).toEqual(a.trees);
    expect(b.importance).toEqual(a.importance);
  });

  it('samples legit rows above maxNegatives and weights them up', async () => {
    // Prepare
    const labelled = labelledIn(history.rows, -Infinity, SPLIT);
    const negatives = labelled.filter((r) => r.label === 0).length;

    // Act
    const file = await trainModel(chunked(csv), options({ to: SPLIT, maxNegatives: 1000 }));

    // Assess: about 1000 legit rows kept (a hash of the id decides, so the share kept is only
    // about 1000 / negatives), each weighing the inverse of the sampling rate.
    expect(file.training.rows).toBe(labelled.length);
    expect(Math.abs(file.training.negative_weight / (negatives / 1000) - 1)).toBeLessThan(0.1);
    expect(file.training.negatives_kept * file.training.negative_weight).toBeGreaterThan(negatives * 0.8);
    expect(file.training.negatives_kept * file.training.negative_weight).toBeLessThan(negatives * 1.2);
    expect(file.training.negatives_kept).toBeGreaterThan(800);
    expect(file.training.negatives_kept).toBeLessThan(1200);
  });

  it('trains on 300,000 rows in a process with the default stack (no spread of all values into one call)', () => {
    // Prepare: the built trainer in a plain node process (a test worker has a larger stack).
    const script = [
      `const { trainGbdt } = await import(${JSON.stringify(pathToFileURL(join(ROOT, 'dist/core/model/gbdt.js')).href)});`,
      'const rows = 300000; const x = new Float64Array(rows); const y = new Uint8Array(rows);',
      'for (let r = 0; r < rows; r++) { x[r] = (r * 7919) % 1000; y[r] = x[r] > 995 ? 1 : 0; }',
      'const { model } = trainGbdt({ x, y, w: new Float64Array(rows).fill(1), rows, features: 1 }, { trees: 1, validationShare: 0 });',
      'process.stdout.write(String(model.trees.length));',
    ].join('\n');

    // Act
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });

    // Assess
    expect(out).toBe('1');
  });

  it('calibrates on the latest training rows: the score maps to a probability, the ranking unchanged', async () => {
    // Prepare
    const opts = options({ to: SPLIT });

    // Act
    const calibrated = await trainModel(chunked(csv), opts);
    const raw = await trainModel(chunked(csv), { ...opts, calibrate: false });

    // Assess: the map is recorded, fitted on held-out rows at the end of the training period
    const c = calibrated.calibration;
    expect(c).toBeDefined();
    expect(raw.calibration).toBeUndefined();
    expect(c?.method).toBe('platt');
    expect(c?.a).toBeGreaterThan(0);
    expect(c?.frauds).toBeGreaterThanOrEqual(10);
    expect(Date.parse(c?.from ?? '')).toBeLessThan(SPLIT);
    expect(Date.parse(c?.to ?? '')).toBeLessThan(SPLIT);
    expect(Date.parse(c?.from ?? '')).toBeGreaterThan(SPLIT - 20 * DAY);
    // The same trees, every value scaled by a; the base moved by the map.
    expect(calibrated.trees.length).toBe(raw.trees.length);
    expect(calibrated.version).not.toBe(raw.version);
    calibrated.trees.forEach((t, k) => {
      expect(t.feature).toEqual(raw.trees[k]?.feature);
      t.value.forEach((v, j) => expect(v).toBeCloseTo((c?.a as number) * (raw.trees[k]?.value[j] as number), 12));
    });
    expect(calibrated.base).toBeCloseTo((c?.a as number) * raw.base + (c?.b as number), 12);
  });

  it('records no calibration when too few frauds are held out', async () => {
    // Prepare: only the first 12 days, whose held-out tail has a handful of frauds at most
    const opts = options({ to: history.start + 12 * DAY });

    // Act
    const file = await trainModel(chunked(csv), { ...opts, calibrate: true, gbdt: { trees: 20, validationShare: 0.05 } });

    // Assess
    expect(file.calibration).toBeUndefined();
  });

  it('tunes on prequential folds in a fixed order, records the choice, and gives the same model twice', async () => {
    // Prepare: a clock that advances a second a call, so the budget stops after the same candidates every run
    const tickingClock = (): (() => number) => {
      let t = 0;
      return () => (t += 1000);
    };
    const to = history.start + 20 * DAY;
    const opts = (): TrainOptions => options({ to, gbdt: { trees: 30 }, tune: { budgetSeconds: 1.5, clock: tickingClock() } });

    // Act
    const a = await trainModel(chunked(csv), opts());
    const b = await trainModel(chunked(csv), opts());

    // Assess: the first candidates of the sequence, each with a fold score; the chosen one used
    const t = a.tuning;
    expect(t).toBeDefined();
    expect(t?.complete).toBe(false);
    expect(t?.candidates.map((c) => c.params)).toEqual(TUNE_CANDIDATES.slice(0, t?.candidates.length));
    expect(t?.candidates.length).toBe(2);
    expect(t?.candidates.length).toBeLessThan(TUNE_CANDIDATES.length);
    expect(t?.folds).toBe(3);
    expect(t?.gap_ms).toBeGreaterThan(0);
    expect(t?.gap_ms).toBeLessThanOrEqual(DAY);
    for (const c of t?.candidates ?? []) {
      expect(c.averagePrecision).toBeGreaterThan(0);
      expect(c.averagePrecision).toBeLessThanOrEqual(1);
    }
    const best = Math.max(...(t?.candidates ?? []).map((c) => c.averagePrecision));
    expect(t?.candidates.find((c) => c.params === t.chosen || JSON.stringify(c.params) === JSON.stringify(t.chosen))?.averagePrecision).toBe(best);
    expect(b.version).toBe(a.version);
    expect(b.tuning?.candidates).toEqual(a.tuning?.candidates);
  });

  it('refuses a period without both classes', async () => {
    // Prepare
    const allLegit = labelledCsv(history.rows.map((r) => (r.label === 1 ? { ...r, label: 0 as const } : r)));

    // Act
    const train = trainModel(chunked(allLegit), options());

    // Assess
    await expect(train).rejects.toThrow(RangeError);
    await expect(trainModel(chunked(allLegit), options())).rejects.toThrow(/both fraud and legit labels/);
  });
});

describe('evaluateHistory', () => {
  it('measures a later period, where the model beats the rules', async () => {
    // Prepare
    const model = loadModel(await trainModel(chunked(csv), options({ to: SPLIT })));
    const later = labelledIn(history.rows, SPLIT, Infinity);

    // Act
    const report = await evaluateHistory(chunked(csv), { ...options(), model, from: SPLIT });

    // Assess
    expect(report.rows).toBe(later.length);
    expect(report.frauds).toBe(later.filter((r) => r.label === 1).length);
    expect(report.days).toBe(20);
    expect(report.modelVersion).toBe(model.version);
    expect(report.from).toBe(new Date(SPLIT).toISOString());
    expect(report.to).toBeNull();
    expect(report.systems.model.averagePrecision).toBeGreaterThan(report.systems.rules.averagePrecision);
    expect(report.systems.model.auc).toBeGreaterThan(0.8);
    // combined = max(rules, model), so it flags at least what each flags alone.
    expect(report.systems.combined.atReview.flagged).toBeGreaterThanOrEqual(report.systems.model.atReview.flagged);
    expect(report.importance[0]?.share).toBeGreaterThan(0);
  });
});

describe('renderEvaluationHtml', () => {
  it('renders charts and metrics, escapes the file name and has no script', async () => {
    // Prepare
    const model = loadModel(await trainModel(chunked(csv), options({ to: SPLIT })));
    const fileKey = `<img src=x onerror="alert(1)">&'.csv`;
    const report = await evaluateHistory(chunked(csv), { ...options({ fileKey }), model, from: SPLIT });

    // Act
    const html = renderEvaluationHtml(report, { title: 'Q1 <review>', generatedAt: new Date(T0) });

    // Assess
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html.match(/<svg/g)?.length).toBe(7); // PR, ROC, reliability, three distributions, importance
    expect(html).toContain('Reliability curve');
    expect(html).toContain('Brier score');
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<[^>]*\s(?:src|href)=|@import|url\(/i); // nothing to fetch
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;&#39;.csv');
    expect(html).toContain('<title>Q1 &lt;review&gt;</title>');
    for (const name of ['rules', 'model', 'combined'] as const) {
      const m = report.systems[name];
      expect(html).toContain(`AP ${m.averagePrecision.toFixed(3)}`);
      expect(html).toContain(`AUC ${m.auc.toFixed(3)}`);
      expect(html).toContain(`>${m.cardPrecisionAt100.toFixed(3)}<`);
      // The bundled rules flag nothing at review on this data: their precision is n/a.
      const precision = Number.isNaN(m.atReview.precision) ? 'n/a' : `${(m.atReview.precision * 100).toFixed(1)}%`;
      expect(html).toContain(`>${precision}<`);
    }
    expect(html).toContain(report.modelVersion);
    expect(html).toContain((report.importance[0] as { feature: string }).feature);
  });

  it('shows n/a for metrics that do not exist and survives a JSON round trip', () => {
    // Prepare: a period without frauds, read back from JSON (NaN becomes null).
    const empty = { legit: new Array<number>(20).fill(0), fraud: new Array<number>(20).fill(0) };
    const system = {
      auc: Number.NaN,
      averagePrecision: Number.NaN,
      cardPrecisionAt100: Number.NaN,
      atReview: { threshold: 50, precision: Number.NaN, recall: Number.NaN, flagged: 0 },
      atBlock: { threshold: 80, precision: Number.NaN, recall: Number.NaN, flagged: 0 },
      roc: [{ x: 0, y: 0 }],
      pr: [],
      distribution: empty,
    };
    const report = JSON.parse(
      JSON.stringify({
        file: 'empty.csv',
        from: '2024-02-10T00:00:00.000Z',
        to: null,
        labelDelayMs: 0,
        modelVersion: 'gbdt-000000000000',
        rulesVersion: 'r1',
        rows: 0,
        frauds: 0,
        days: 0,
        systems: { rules: system, model: system, combined: system },
        importance: [],
      }),
    ) as Parameters<typeof renderEvaluationHtml>[0];

    // Act
    const html = renderEvaluationHtml(report);

    // Assess
    expect(html).toContain('AUC n/a');
    expect(html).toContain('AP n/a');
    expect(html).toContain('2024-02-10 → end of file');
    expect(html).not.toContain('NaN');
    expect(html).not.toContain('null');
  });
});
