import { execFile, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BenchReport } from '../../bench/main.js';
import { builtBin, lines, ROOT } from '../helpers/cli.js';
import { tempDir } from '../helpers/fixtures.js';

const BASELINE = join(ROOT, 'bench', 'baselines', 'handbook_features.py');

/** The Python the bench would pick (the first that imports pandas), or undefined. */
function pandasPython(): string | undefined {
  return ['python3', '/usr/bin/python3'].find((p) => spawnSync(p, ['-c', 'import pandas']).status === 0);
}

function bench(args: string[]): Promise<{ code: number; stdout: string }> {
  return new Promise((done) => {
    execFile(process.execPath, ['bench/run.mjs', '--quick', '--runs', '1', '--only', 'handbook', ...args], { cwd: ROOT, maxBuffer: 16 << 20 }, (error, stdout) => {
      done({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout });
    });
  });
}

// Hand-computed features of a tiny file: customer 1 over a week, terminal 7 with a fraud that
// enters its delayed windows only once it is more than 7 days old.
const TINY = `TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,TX_AMOUNT,TX_FRAUD
0,2018-04-01 12:00:00,9,7,5.00,1
1,2018-04-02 10:00:00,1,3,10.00,0
2,2018-04-02 20:00:00,1,3,20.00,0
3,2018-04-03 13:00:00,9,7,6.00,0
4,2018-04-05 03:00:00,1,3,30.00,0
5,2018-04-07 12:00:00,1,3,40.00,0
6,2018-04-10 12:00:00,9,7,7.00,0
`;

describe('pandas baseline (bench/baselines/handbook_features.py)', () => {
  const tmp = tempDir('fraudmini-pandas-');
  afterAll(() => tmp.cleanup());
  const python = pandasPython();

  it('computes the same features in its vectorised form, the one the benchmark times', () => {
    if (python === undefined) return; // the test above covers a machine without pandas
    // Prepare: the tiny file, and rows with ties in time and several customers and terminals.
    const input = join(tmp.dir, 'both.csv');
    const more = Array.from({ length: 40 }, (_, i) => `${100 + i},2018-04-${String(1 + (i % 20)).padStart(2, '0')} 0${i % 10}:00:00,${i % 3},${i % 4},${(i * 7) % 50}.25,${i % 5 === 0 ? 1 : 0}`);
    writeFileSync(input, `${TINY}${more.join('\n')}\n`);
    const read = (method: string): string[][] => {
      const out = join(tmp.dir, `${method}.csv`);
      const run = spawnSync(python, [BASELINE, input, '--method', method, '--out', out], { encoding: 'utf8' });
      expect(run.status, run.stderr).toBe(0);
      const [header, ...rows] = lines(readFileSync(out, 'utf8')).map((l) => l.split(','));
      return [header ?? [], ...rows.sort((a, b) => Number(a[0]) - Number(b[0]))];
    };

    // Act
    const apply = read('apply');
    const vectorised = read('vectorised');

    // Assess: same columns, same rows, every number equal.
    expect(vectorised[0]).toEqual(apply[0]);
    expect(vectorised.length).toBe(47 + 1);
    const numbers = (t: string[][]): number[][] => t.slice(1).map((r) => r.filter((_, i) => i !== 1).map(Number));
    expect(numbers(vectorised)).toEqual(numbers(apply));
  });

  it('computes the handbook features (or, without pandas, fails saying so, which the bench turns into a skip)', () => {
    // Prepare
    const input = join(tmp.dir, 'tiny.csv');
    const out = join(tmp.dir, 'features.csv');
    writeFileSync(input, TINY);
    // Act
    const run = spawnSync(python ?? 'python3', [BASELINE, input, '--out', out], { encoding: 'utf8' });
    // Assess
    if (python === undefined) {
      expect(run.status).not.toBe(0);
      expect(run.stderr).toContain('pandas');
      return;
    }
    expect(run.status).toBe(0);
    const summary = JSON.parse(lines(run.stdout).pop() ?? '{}') as { rows: number; seconds: Record<string, number>; maxrss_kib: number };
    expect(summary.rows).toBe(7);
    expect(Object.keys(summary.seconds)).toEqual(['read', 'weekend_night', 'customer', 'terminal', 'write', 'total']);
    expect(summary.maxrss_kib).toBeGreaterThan(0);
    const [header, ...rows] = lines(readFileSync(out, 'utf8')).map((l) => l.split(','));
    const byId = new Map(rows.map((r) => [r[0], Object.fromEntries((header ?? []).map((h, i) => [h, Number(r[i])]))]));
    expect(rows.map((r) => r[0])).toEqual(['0', '1', '2', '3', '4', '5', '6']);
    expect(byId.get('0')).toMatchObject({ TX_DURING_WEEKEND: 1, TX_DURING_NIGHT: 0 });
    expect(byId.get('2')).toMatchObject({ CUSTOMER_ID_NB_TX_1DAY_WINDOW: 2, CUSTOMER_ID_AVG_AMOUNT_1DAY_WINDOW: 15 });
    expect(byId.get('4')).toMatchObject({
      TX_DURING_WEEKEND: 0,
      TX_DURING_NIGHT: 1,
      CUSTOMER_ID_NB_TX_1DAY_WINDOW: 1,
      CUSTOMER_ID_AVG_AMOUNT_1DAY_WINDOW: 30,
      CUSTOMER_ID_NB_TX_7DAY_WINDOW: 3,
      CUSTOMER_ID_AVG_AMOUNT_7DAY_WINDOW: 20,
    });
    expect(byId.get('5')).toMatchObject({
      TX_DURING_WEEKEND: 1,
      CUSTOMER_ID_NB_TX_1DAY_WINDOW: 1,
      CUSTOMER_ID_AVG_AMOUNT_1DAY_WINDOW: 40,
      CUSTOMER_ID_NB_TX_7DAY_WINDOW: 4,
      CUSTOMER_ID_AVG_AMOUNT_7DAY_WINDOW: 25,
      CUSTOMER_ID_NB_TX_30DAY_WINDOW: 4,
    });
    // Two days after the fraud it is still inside the 7-day delay: no risk known yet.
    expect(byId.get('3')).toMatchObject({ TERMINAL_ID_NB_TX_1DAY_WINDOW: 0, TERMINAL_ID_RISK_1DAY_WINDOW: 0, TERMINAL_ID_NB_TX_7DAY_WINDOW: 0, TERMINAL_ID_RISK_7DAY_WINDOW: 0 });
    // Nine days after, it is in the 7- and 30-day windows ending 7 days ago, not in the 1-day one.
    expect(byId.get('6')).toMatchObject({
      CUSTOMER_ID_NB_TX_7DAY_WINDOW: 2,
      CUSTOMER_ID_AVG_AMOUNT_7DAY_WINDOW: 6.5,
      CUSTOMER_ID_NB_TX_30DAY_WINDOW: 3,
      TERMINAL_ID_NB_TX_1DAY_WINDOW: 0,
      TERMINAL_ID_RISK_1DAY_WINDOW: 0,
      TERMINAL_ID_NB_TX_7DAY_WINDOW: 1,
      TERMINAL_ID_RISK_7DAY_WINDOW: 1,
      TERMINAL_ID_NB_TX_30DAY_WINDOW: 1,
      TERMINAL_ID_RISK_30DAY_WINDOW: 1,
    });
  });
});

// A smoke run of benchmark 7 at --quick sizes, with the Python the bench finds and with one that
// does not exist (the baseline must then be skipped with a note, not fail the run). No figure is
// judged: speed is measured by `npm run bench`, never asserted in tests.
describe('bench --only handbook (--quick smoke run)', () => {
  const tmp = tempDir('fraudmini-bench-handbook-');
  const cache = join(tmp.dir, 'cache');
  const found = join(tmp.dir, 'found.json');
  const missing = join(tmp.dir, 'missing.json');
  let withFound = { code: -1, stdout: '' };
  let withMissing = { code: -1, stdout: '' };

  beforeAll(async () => {
    // Prepare: the benchmark runs dist/, which the test setup has built from the sources.
    builtBin();
    // Act: the second run reuses the simulated file and the model from the first one's cache.
    withFound = await bench(['--cache', cache, '--json-out', found]);
    withMissing = await bench(['--cache', cache, '--json-out', missing, '--python', join(tmp.dir, 'no-such-python3')]);
  }, 240_000);

  afterAll(() => tmp.cleanup());

  it('scores the handbook file and compares it with the pandas baseline when pandas is there', () => {
    // Assess
    expect(withFound.code).toBe(0);
    expect(withFound.stdout).toContain('handbook: fraudmini score --model');
    const report = JSON.parse(readFileSync(found, 'utf8')) as BenchReport;
    expect(report.failures).toEqual([]);
    expect(report.results.map((r) => r.id)).toEqual(['handbook.model', 'handbook.rss']);
    const [speed, rss] = report.results;
    expect(speed?.figure.summary.median).toBeGreaterThan(0);
    expect(rss?.figure.summary.median).toBeGreaterThan(0);
    const hasPandas = pandasPython() !== undefined;
    expect(speed?.baseline !== undefined).toBe(hasPandas);
    expect(rss?.baseline !== undefined).toBe(hasPandas);
    if (hasPandas) {
      expect(typeof speed?.ratio).toBe('number');
      expect(typeof speed?.target?.met).toBe('boolean');
      expect(speed?.notes?.join(';')).toContain('pandas');
    }
  });

  it('skips the baseline with a note, and still measures fraudmini, when the Python cannot import pandas', () => {
    // Assess
    expect(withMissing.code).toBe(0);
    const report = JSON.parse(readFileSync(missing, 'utf8')) as BenchReport;
    expect(report.failures).toEqual([]);
    const speed = report.results.find((r) => r.id === 'handbook.model');
    expect(speed?.figure.summary.median).toBeGreaterThan(0);
    expect(speed?.baseline).toBeUndefined();
    expect(speed?.target).toBeUndefined();
    expect(speed?.notes?.join(';')).toContain('pandas baseline skipped');
    expect(withMissing.stdout).toContain('pandas baseline skipped');
  });
});
