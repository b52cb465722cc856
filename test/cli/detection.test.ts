import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelFile } from '../../src/core/model/model.js';
import type { Decision } from '../../src/core/scoring.js';
import type { BacktestReport, HitStats } from '../../src/pipeline/backtest.js';
import type { EvaluationReport } from '../../src/pipeline/evaluate.js';
import type { Receipt } from '../../src/core/receipt.js';
import { lines, ROOT, type Run, runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/fixtures.js';

const DEFAULT_RULES = join(ROOT, 'rules/default.json');
const DAY = 86_400_000;

/** Generated traffic starts on 2026-01-01 and lasts 40 days: train on 28, evaluate on the last 12. */
const SPLIT = '2026-01-29';
const SPLIT_MS = Date.UTC(2026, 0, 29);


const run = runCli;


/** A bad usage: exit 2, one `fraudmini:` message on stderr, no stack trace, nothing on stdout. */
function expectUsageError(r: Run, ...fragments: string[]): void {
  expect(r.code, r.stderr).toBe(2);
  expect(r.stdout).toBe('');
  expect(r.stderr).toMatch(/^fraudmini: /);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  for (const f of fragments) expect(r.stderr).toContain(f);
}

/** A ratio in [0, 1], or null where JSON carries an undefined (NaN) ratio. */
function expectRatioOrNull(x: number | null, what: string): void {
  if (x === null) return;
  expect(x, what).toBeGreaterThanOrEqual(0);
  expect(x, what).toBeLessThanOrEqual(1);
}

/** Time and label of each row of a generated file (no quoted fields: generated text has no commas). */
function labelledRows(csv: string): { timestamp: number; label: number }[] {
  const [header, ...rows] = lines(csv);
  const cols = (header ?? '').split(',');
  const ts = cols.indexOf('timestamp');
  const label = cols.indexOf('label');
  expect(ts).toBeGreaterThanOrEqual(0);
  expect(label).toBeGreaterThanOrEqual(0);
  return rows.map((line) => {
    const f = line.split(',');
    return { timestamp: Date.parse(f[ts] ?? ''), label: Number(f[label]) };
  });
}

/** The ids of the default rules, in file order. */
const DEFAULT_RULE_IDS = (JSON.parse(readFileSync(DEFAULT_RULES, 'utf8')) as { rules: { id: string }[] }).rules.map(
  (r) => r.id,
);

describe('fraudmini generate, train, evaluate, backtest and score on labelled history', () => {
  let dir = '';
  let cleanup = (): void => {};
  let generated: Run;
  let trained: Run;
  let rows: { timestamp: number; label: number }[] = [];
  let model: ModelFile;

  beforeAll(async () => {
    const t = tempDir('fraudmini-detection-');
    dir = t.dir;
    cleanup = t.cleanup;
    generated = await run(
      ['generate', '--customers', '300', '--days', '40', '--seed', '7', '--out', 'tx.csv', '--no-progress'],
      dir,
    );
    rows = labelledRows(readFileSync(join(dir, 'tx.csv'), 'utf8'));
    trained = await run(['train', 'tx.csv', '--to', SPLIT, '--out', 'm.json', '--data-dir', 'data'], dir);
    if (trained.code === 0) model = JSON.parse(readFileSync(join(dir, 'm.json'), 'utf8')) as ModelFile;
  }, 180_000);

  afterAll(() => cleanup());

  describe('generate', () => {
    it('writes a labelled file in time order', () => {
      // Assess
      expect(generated.code, generated.stderr).toBe(0);
      expect(generated.stderr).toContain('tx.csv:');
      expect(rows.length).toBeGreaterThan(1000);
      expect(rows.every((r) => r.label === 0 || r.label === 1)).toBe(true);
      expect(rows.some((r) => r.label === 1)).toBe(true);
      expect(rows.some((r) => r.timestamp < SPLIT_MS)).toBe(true);
      expect(rows.some((r) => r.timestamp >= SPLIT_MS)).toBe(true);
      expect(rows.every((r, i) => i === 0 || (rows[i - 1]?.timestamp ?? 0) <= r.timestamp)).toBe(true);
    });
  });

  describe('train', () => {
    it('writes a model trained on the labelled rows before --to, with a summary on stderr', () => {
      // Prepare
      const before = rows.filter((r) => r.timestamp < SPLIT_MS);

      // Assess: exit, file, training counts
      expect(trained.code, trained.stderr).toBe(0);
      expect(trained.stdout).toBe('');
      expect(model.format).toBe('fraudmini-gbdt/1');
      expect(model.version).toMatch(/^gbdt-/);
      expect(model.training.rows).toBe(before.length);
      expect(model.training.rows).toBeLessThan(rows.length);
      expect(model.training.positives).toBe(before.filter((r) => r.label === 1).length);
      expect(model.training.from).toBeNull();
      expect(model.training.to).toBe(new Date(SPLIT_MS).toISOString());
      expect(model.training.label_delay_ms).toBe(7 * DAY);
      expect(existsSync(join(dir, 'm.json.part'))).toBe(false);

      // Assess: the summary
      expect(trained.stderr).toContain(`model ${model.version} -> m.json`);
      expect(trained.stderr).toContain(`trained on ${before.length.toLocaleString('en-US')} labelled rows`);
      expect(trained.stderr).toContain('label delay 7d');
      expect(trained.stderr).toContain('most important:');
    });
  });

  describe('evaluate', () => {
    it('reports rules, model and combined as JSON, and writes an HTML report with charts', async () => {
      // Prepare
      const after = rows.filter((r) => r.timestamp >= SPLIT_MS);
      const frauds = after.filter((r) => r.label === 1).length;

      // Act
      const r = await run(
        [
          ...['evaluate', 'tx.csv', '--model', 'm.json', '--from', SPLIT],
          ...['--json', '--report', 'r.html', '--data-dir', 'data'],
        ],
        dir,
      );

      // Assess: the period and its rows
      expect(r.code, r.stderr).toBe(0);
      const report = JSON.parse(r.stdout) as EvaluationReport;
      expect(report.rows).toBe(after.length);
      expect(report.frauds).toBe(frauds);
      expect(report.from).toBe(new Date(SPLIT_MS).toISOString());
      expect(report.to).toBeNull();
      expect(report.days).toBe(12);
      expect(report.modelVersion).toBe(model.version);
      expect(report.rulesVersion).toBe('default-1');
      expect(report.labelDelayMs).toBe(7 * DAY);

      // Assess: every system, every number in range
      expect(Object.keys(report.systems).sort()).toEqual(['combined', 'model', 'rules']);
      for (const [name, m] of Object.entries(report.systems)) {
        for (const [key, value] of Object.entries({
          auc: m.auc,
          averagePrecision: m.averagePrecision,
          cardPrecisionAt100: m.cardPrecisionAt100,
        })) {
          expect(value, `${name} ${key}`).toBeGreaterThanOrEqual(0);
          expect(value, `${name} ${key}`).toBeLessThanOrEqual(1);
        }
        expect(m.atReview.threshold).toBe(50);
        expect(m.atBlock.threshold).toBe(80);
        for (const at of [m.atReview, m.atBlock]) {
          // No transaction flagged: precision is undefined, which JSON writes as null.
          expectRatioOrNull(at.precision as number | null, `${name} precision`);
          expectRatioOrNull(at.recall, `${name} recall`);
          expect(at.flagged).toBeGreaterThanOrEqual(0);
          expect(at.flagged).toBeLessThanOrEqual(report.rows);
        }
        expect(m.atBlock.flagged).toBeLessThanOrEqual(m.atReview.flagged);
        const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
        expect(sum(m.distribution.legit) + sum(m.distribution.fraud)).toBe(report.rows);
        expect(sum(m.distribution.fraud)).toBe(frauds);
        for (const p of [...m.roc, ...m.pr]) {
          expectRatioOrNull(p.x, `${name} curve x`);
          expectRatioOrNull(p.y, `${name} curve y`);
        }
      }
      expect(report.importance.length).toBeGreaterThan(0);
      // Shares are rounded in the model file, so they add up to 1 only to a few decimals.
      expect(report.importance.reduce((a, b) => a + b.share, 0)).toBeCloseTo(1, 3);

      // Assess: the HTML report
      const html = readFileSync(join(dir, 'r.html'), 'utf8');
      expect(html).toMatch(/^<!doctype html>/i);
      expect(html).toContain('<svg');
      expect(existsSync(join(dir, 'r.html.part'))).toBe(false);
    });

    it('prints a table with AUC for each system', async () => {
      // Act
      const r = await run(['evaluate', 'tx.csv', '--model', 'm.json', '--from', SPLIT, '--data-dir', 'data'], dir);

      // Assess
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('AUC');
      expect(r.stdout).toContain(`model ${model.version}, rules default-1`);
      for (const system of ['rules', 'model', 'combined']) expect(r.stdout).toMatch(new RegExp(`^${system} `, 'm'));
    });
  });

  describe('calibration and thresholds', () => {
    it('trains a calibrated model and says what its score means', () => {
      // Assess
      expect(trained.code, trained.stderr).toBe(0);
      expect(model.calibration?.a).toBeGreaterThan(0);
      expect(trained.stderr).toContain('the score is the fraud probability × 100');
    });

    it('recommends thresholds from a review capacity and costs, and says what they catch later', async () => {
      // Prepare
      const after = rows.filter((r) => r.timestamp >= SPLIT_MS);
      const frauds = after.filter((r) => r.label === 1).length;
      const flags = ['--review-capacity', '15/day', '--cost-fp', '5', '--cost-fn', '150', '--data-dir', 'data'];

      // Act
      const json = await run(['evaluate', 'tx.csv', '--model', 'm.json', '--from', SPLIT, '--json', ...flags], dir);
      const text = await run(['evaluate', 'tx.csv', '--model', 'm.json', '--from', SPLIT, ...flags], dir);

      // Assess: chosen on the model's validation rows, before the evaluation period
      expect(json.code, json.stderr).toBe(0);
      const report = JSON.parse(json.stdout) as EvaluationReport;
      const t = report.thresholds;
      expect(t).toBeDefined();
      expect(t?.validation.from).toBe(model.calibration?.from);
      expect(t?.validation.to).toBe(new Date(SPLIT_MS).toISOString());
      expect(t?.budget).toEqual({ reviewCapacityPerDay: 15, costFp: 5, costFn: 150 });
      expect(t?.recommended.review).toBeLessThanOrEqual(t?.recommended.block as number);
      expect(t?.current).toEqual({ review: 50, block: 80 });
      // Every test fraud is caught or missed, under both sets of thresholds.
      for (const o of [t?.test.recommended, t?.test.current]) {
        expect((o?.caughtFraud ?? 0) + (o?.missedFraud ?? 0)).toBe(frauds);
        expect(o?.cost).toBe(5 * ((o?.blocked ?? 0) - (o?.blockedFraud ?? 0)) + 150 * (o?.missedFraud ?? 0));
      }
      expect(report.calibration.calibrated).toBe(true);
      expect(report.calibration.brier).toBeGreaterThan(0);
      expect(report.calibration.reliability.reduce((n, b) => n + b.rows, 0)).toBe(report.rows);

      // Assess: the table
      expect(text.code, text.stderr).toBe(0);
      expect(text.stdout).toContain('Brier score');
      expect(text.stdout).toMatch(/^recommended +/m);
      expect(text.stdout).toMatch(/^in force +50\.00 +80\.00/m);
    });

    it('refuses one cost without the other, threshold flags with --protocol, and a --tune-budget without --tune', async () => {
      // Act
      const one = await run(['evaluate', 'tx.csv', '--model', 'm.json', '--cost-fp', '5', '--data-dir', 'data'], dir);
      const capacity = await run(['evaluate', 'tx.csv', '--model', 'm.json', '--review-capacity', 'lots', '--data-dir', 'data'], dir);
      const protocol = await run(['evaluate', '--protocol', 'handbook', '--review-capacity', '10/day'], dir);

      const budget = await run(['train', 'tx.csv', '--out', 'm2.json', '--tune-budget', '5m', '--data-dir', 'data'], dir);
      const badBudget = await run(['train', 'tx.csv', '--out', 'm2.json', '--tune', '--tune-budget', 'soon', '--data-dir', 'data'], dir);

      // Assess
      expectUsageError(budget, '--tune-budget goes with --tune');
      expectUsageError(badBudget, '--tune-budget must be seconds or minutes');
      expectUsageError(one, '--cost-fp and --cost-fn go together');
      expectUsageError(capacity, '--review-capacity must be reviews a day');
      expectUsageError(protocol, '--review-capacity does not go with --protocol');
    });
  });

  describe('backtest', () => {
    it('prints every rule of a set, its outcomes and a comparison with --against', async () => {
      // Prepare
      writeFileSync(
        join(dir, 'strict.json'),
        JSON.stringify({
          version: 'strict-1',
          rules: [{ id: 'very_high_value', when: 'amount > 5000', weight: 80 }],
        }),
      );

      // Act
      const r = await run(
        ['backtest', 'tx.csv', '--rules', DEFAULT_RULES, '--against', 'strict.json', '--data-dir', 'data'],
        dir,
      );

      // Assess
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(`${rows.length.toLocaleString('en-US')} labelled transactions`);
      expect(r.stdout).toContain('rules default-1');
      for (const id of DEFAULT_RULE_IDS) expect(r.stdout).toMatch(new RegExp(`^${id} `, 'm'));
      expect(r.stdout).toContain('outcome: block');
      expect(r.stdout).toContain('outcome: review');
      expect(r.stdout).toContain('outcome: flagged');
      expect(r.stdout).toContain('rules strict-1');
      expect(r.stdout).toMatch(/^very_high_value /m);
      expect(r.stdout).toContain('flagged (review + block)');
      expect(r.stdout).toContain('difference');
    });

    it('writes the report as JSON with --json', async () => {
      // Act
      const r = await run(['backtest', 'tx.csv', '--rules', DEFAULT_RULES, '--json', '--data-dir', 'data'], dir);

      // Assess
      expect(r.code, r.stderr).toBe(0);
      const report = JSON.parse(r.stdout) as BacktestReport;
      expect(report.rows).toBe(rows.length);
      expect(report.frauds).toBe(rows.filter((x) => x.label === 1).length);
      expect(report.base.version).toBe('default-1');
      expect(report.against).toBeUndefined();
      expect(Object.keys(report.base.rules)).toEqual(DEFAULT_RULE_IDS);
      const all: [string, HitStats][] = [
        ...Object.entries(report.base.rules),
        ...Object.entries(report.base.outcomes),
      ];
      for (const [name, s] of all) {
        expect(s.frauds, name).toBeLessThanOrEqual(s.hits);
        expect(s.hits, name).toBeLessThanOrEqual(report.rows);
        expectRatioOrNull(s.precision as number | null, `${name} precision`);
        expectRatioOrNull(s.recall, `${name} recall`);
        expect(s.per1000, name).toBeCloseTo((1000 * s.hits) / report.rows, 9);
        expect(s.moneyCaught, name).toBeLessThanOrEqual(s.moneyFlagged);
      }
      const o = report.base.outcomes;
      expect(o.allow.hits + o.flagged.hits).toBe(report.rows);
      expect(o.review.hits + o.block.hits).toBe(o.flagged.hits);
      expect(o.allow.frauds + o.flagged.frauds).toBe(report.frauds);
    });
  });

  describe('score with a model', () => {
    it('writes model and rules scores, the score being the model score unless the rules reach block', async () => {
      // Act
      const r = await run(
        [
          ...['score', 'tx.csv', '--model', 'm.json', '--label-delay', '7d'],
          ...['--out', 'd.jsonl', '--data-dir', 'data', '--no-progress'],
        ],
        dir,
      );

      // Assess
      expect(r.code, r.stderr).toBe(0);
      const decisions = lines(readFileSync(join(dir, 'd.jsonl'), 'utf8')).map((l) => JSON.parse(l) as Decision);
      expect(decisions).toHaveLength(rows.length);
      let rulesWin = 0;
      for (const d of decisions) {
        expect(d.model_version).toBe(model.version);
        expect(typeof d.model_score).toBe('number');
        const m = d.model_score as number;
        expect(m).toBeGreaterThanOrEqual(0);
        expect(m).toBeLessThanOrEqual(100);
        expect(typeof d.rules_score).toBe('number');
        if (d.rules_score >= 80) {
          rulesWin++;
          expect(d.score).toBe(Math.max(d.rules_score, m));
        } else {
          expect(d.score).toBe(m);
        }
        // The default rules have no actions: the outcome follows the score.
        expect(d.outcome).toBe(d.score >= 80 ? 'block' : d.score >= 50 ? 'review' : 'allow');
      }
      expect(rulesWin).toBeLessThan(decisions.length);
      const receipt = JSON.parse(readFileSync(join(dir, 'd.jsonl.receipt.json'), 'utf8')) as Receipt;
      expect(receipt.counts).toMatchObject({ rows: rows.length, decided: rows.length, rejected: 0 });
    });

    it('names model features on review and block decisions, and with --explain all on every decision', async () => {
      // Prepare: the decisions of the test above, with the default --explain shown
      const read = (f: string) =>
        lines(readFileSync(join(dir, f), 'utf8')).map((l) => {
          const d = JSON.parse(l) as Partial<Decision>;
          delete d.decided_at;
          return d;
        });
      const shown = read('d.jsonl');

      // Act
      const r = await run(
        [
          ...['score', 'tx.csv', '--model', 'm.json', '--label-delay', '7d', '--explain', 'all'],
          ...['--out', 'all.jsonl', '--data-dir', 'data', '--no-progress'],
        ],
        dir,
      );

      // Assess: the same decisions, but for the features of allowed transactions
      expect(r.code, r.stderr).toBe(0);
      const all = read('all.jsonl');
      expect(all.filter((d) => d.outcome === 'allow' && d.model_features !== undefined).length).toBeGreaterThan(0);
      expect(all.some((d) => d.outcome !== 'allow' && d.model_features !== undefined)).toBe(true);
      expect(shown).toEqual(
        all.map((d) => {
          if (d.outcome !== 'allow') return d;
          const { model_features: _, ...rest } = d;
          return rest;
        }),
      );
    });
  });

  describe('errors', () => {
    it('refuses to train without labels in the period', async () => {
      // Act: --to before the first row
      const r = await run(['train', 'tx.csv', '--to', '2025-12-01', '--out', 'early.json', '--data-dir', 'data'], dir);

      // Assess
      expectUsageError(r, 'training needs both fraud and legit labels', 'found 0 fraud of 0 labelled rows');
      expect(existsSync(join(dir, 'early.json'))).toBe(false);
      expect(existsSync(join(dir, 'early.json.part'))).toBe(false);
    });

    it('refuses a missing model file', async () => {
      // Act
      const r = await run(['evaluate', 'tx.csv', '--model', 'missing.json', '--data-dir', 'data'], dir);

      // Assess
      expectUsageError(r, 'cannot read missing.json: no such file');
    });

    it('refuses an output in a missing folder before doing any work', async () => {
      // Act
      const train = await run(['train', 'tx.csv', '--out', 'nodir/m.json', '--data-dir', 'data'], dir);
      const report = await run(
        ['evaluate', 'tx.csv', '--model', 'm.json', '--report', 'nodir/r.html', '--data-dir', 'data'],
        dir,
      );

      // Assess
      expectUsageError(train, '--out nodir/m.json: no such folder');
      expectUsageError(report, '--report nodir/r.html: no such folder');
    });

    it('refuses a model file that is not a model, or not JSON', async () => {
      // Prepare
      writeFileSync(join(dir, 'rules-not-model.json'), readFileSync(DEFAULT_RULES));
      writeFileSync(join(dir, 'text.json'), 'this is not json\n');

      // Act
      const notModel = await run(['evaluate', 'tx.csv', '--model', 'rules-not-model.json', '--data-dir', 'data'], dir);
      const notJson = await run(
        ['score', 'tx.csv', '--model', 'text.json', '--out', 'never.jsonl', '--data-dir', 'data'],
        dir,
      );

      // Assess
      expectUsageError(notModel, 'rules-not-model.json: not a fraudmini model (expected format fraudmini-gbdt/1)');
      expectUsageError(notJson, 'text.json is not valid JSON');
      expect(existsSync(join(dir, 'never.jsonl'))).toBe(false);
    });

    it('refuses a --label-delay that is not a duration', async () => {
      // Act
      const score = await run(
        ['score', 'tx.csv', '--model', 'm.json', '--label-delay', '7x', '--out', 'never.jsonl', '--data-dir', 'data'],
        dir,
      );
      const train = await run(
        ['train', 'tx.csv', '--label-delay', '7x', '--out', 'never.json', '--data-dir', 'data'],
        dir,
      );

      // Assess
      expectUsageError(score, '--label-delay "7x" is not a duration');
      expectUsageError(train, '--label-delay "7x" is not a duration');
      expect(existsSync(join(dir, 'never.jsonl'))).toBe(false);
      expect(existsSync(join(dir, 'never.json'))).toBe(false);
    });

    it('refuses an --explain other than shown or all', async () => {
      // Act
      const r = await run(
        ['score', 'tx.csv', '--model', 'm.json', '--explain', 'some', '--out', 'never.jsonl', '--data-dir', 'data'],
        dir,
      );

      // Assess
      expectUsageError(r, '--explain must be shown (review and block decisions) or all, got "some"');
      expect(existsSync(join(dir, 'never.jsonl'))).toBe(false);
    });

    it('refuses --to before (or at) --from', async () => {
      // Act
      const train = await run(
        ['train', 'tx.csv', '--from', '2026-01-20', '--to', '2026-01-10', '--out', 'never.json', '--data-dir', 'data'],
        dir,
      );
      const evaluate = await run(
        ['evaluate', 'tx.csv', '--model', 'm.json', '--from', '2026-01-20', '--to', '2026-01-20', '--data-dir', 'data'],
        dir,
      );

      // Assess
      expectUsageError(train, '--to must be after --from');
      expectUsageError(evaluate, '--to must be after --from');
    });

    it('refuses to backtest a file without labels', async () => {
      // Prepare
      writeFileSync(
        join(dir, 'unlabelled.csv'),
        'transaction_id,timestamp,account_id,amount\nU1,2026-01-01T00:00:00Z,A1,10.00\n',
      );

      // Act
      const r = await run(['backtest', 'unlabelled.csv', '--rules', DEFAULT_RULES, '--data-dir', 'data'], dir);

      // Assess
      expectUsageError(r, 'no labelled rows: backtest needs a label column');
    });
  });
});
