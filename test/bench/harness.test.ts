import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BenchReport } from '../../bench/main.js';
import { builtBin, ROOT } from '../helpers/cli.js';
import { tempDir } from '../helpers/fixtures.js';

// A smoke run of the benchmark harness at --quick sizes: it must run, print the table and write
// the JSON report with every figure next to its baseline. No figure is judged: speed is measured
// by `npm run bench`, never asserted in tests.
describe('bench harness (--quick smoke run)', () => {
  const tmp = tempDir('fraudmini-bench-');
  const jsonOut = join(tmp.dir, 'latest.json');
  let stdout = '';
  let code: number | null = null;

  beforeAll(async () => {
    // Prepare: the benchmarks load dist/, which the test setup has built from the sources.
    builtBin();
    // Act
    await new Promise<void>((done) => {
      execFile(
        process.execPath,
        ['bench/run.mjs', '--quick', '--runs', '1', '--only', 'core,file', '--json-out', jsonOut, '--cache', join(tmp.dir, 'cache')],
        { cwd: ROOT, maxBuffer: 16 << 20 },
        (error, out) => {
          code = error ? ((error as { code?: number }).code ?? 1) : 0;
          stdout = out;
          done();
        },
      );
    });
  }, 240_000);

  afterAll(() => tmp.cleanup());

  it('exits 0 and prints the results table', () => {
    // Assess
    expect(code).toBe(0);
    expect(stdout).toMatch(/\| # \| benchmark +\| +median \|/);
    expect(stdout).toContain('core: features + rules');
    expect(stdout).toContain('file: fraudmini score (rules)');
  });

  it('writes a JSON report whose figures each sit next to a baseline and a ratio', () => {
    // Assess
    expect(existsSync(jsonOut)).toBe(true);
    const report = JSON.parse(readFileSync(jsonOut, 'utf8')) as BenchReport;
    expect(report.format).toBe('fraudmini-bench/1');
    expect(report.quick).toBe(true);
    expect(report.failures).toEqual([]);
    expect(report.results.map((r) => r.id)).toEqual(['core.rules', 'core.model', 'file.rules', 'file.model']);
    for (const r of report.results) {
      expect(r.figure.summary.samples).toHaveLength(1);
      expect(r.figure.summary.median).toBeGreaterThan(0);
      expect(r.baseline?.summary.median).toBeGreaterThan(0);
      expect(typeof r.ratio).toBe('number');
      expect(typeof r.target?.met).toBe('boolean');
    }
  });

  it('leaves no scratch folder behind', () => {
    // Assess
    expect(readdirSync(tmp.dir).filter((name) => name.startsWith('tmp-'))).toEqual([]);
  });
});
