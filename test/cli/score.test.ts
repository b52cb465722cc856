import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Decision } from '../../src/core/scoring.js';
import type { Receipt } from '../../src/core/receipt.js';
import { lines, ROOT, type Run, runCli } from '../helpers/cli.js';
import { type ScenarioFile, scenarioFile, TEST_PANS, tempDir } from '../helpers/fixtures.js';

const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** A decision line of `fraudmini score` JSONL output. */
type DecisionLine = Decision & { row: number; account_id: string; card?: string; amount: string };


const run = runCli;


/** Asserts no test card number appears in any of `texts`. */
function expectNoPan(texts: Record<string, string>): void {
  for (const [where, text] of Object.entries(texts)) {
    for (const pan of TEST_PANS) expect(text.includes(pan), `${pan} in ${where}`).toBe(false);
  }
}

/** A bad usage: exit 2, one `fraudmini:` message on stderr, no stack trace, nothing on stdout. */
function expectUsageError(r: Run, ...fragments: string[]): void {
  expect(r.code).toBe(2);
  expect(r.stdout).toBe('');
  expect(r.stderr).toMatch(/^fraudmini: /);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  for (const f of fragments) expect(r.stderr).toContain(f);
}

describe('fraudmini score', () => {
  let dir = '';
  let cleanup = (): void => {};
  let scenario: ScenarioFile;

  beforeAll(() => {
    const t = tempDir('fraudmini-cli-');
    dir = t.dir;
    cleanup = t.cleanup;
    scenario = scenarioFile(2000, 4);
    writeFileSync(join(dir, 'in.csv'), scenario.csv);
  });

  afterAll(() => cleanup());

  it('scores 2,000 rows to JSONL with a receipt whose counts add up and whose rejections name row and column', async () => {
    // Act
    const r = await run(['score', 'in.csv', '--out', 'out.jsonl', '--data-dir', 'data', '--no-progress'], dir);

    // Assess: exit and output
    expect(r.code).toBe(0);
    const text = readFileSync(join(dir, 'out.jsonl'), 'utf8');
    const decisions = lines(text).map((l) => JSON.parse(l) as DecisionLine);
    expect(decisions).toHaveLength(1996);
    const rowsOut = decisions.map((d) => d.row);
    expect(new Set(rowsOut).size).toBe(1996);
    for (const bad of scenario.badRows) expect(rowsOut).not.toContain(bad);
    for (const d of decisions) {
      expect(d.outcome).toMatch(/^(allow|review|block)$/);
      expect(d.rules_version).toBe('default-1');
      expect(d.card).toMatch(/^\d{6}\*+\d{4}$/);
    }

    // Assess: the receipt
    const receiptText = readFileSync(join(dir, 'out.jsonl.receipt.json'), 'utf8');
    const receipt = JSON.parse(receiptText) as Receipt;
    expect(receipt.status).toBe('processed');
    expect(receipt.counts).toMatchObject({ rows: 2000, accepted: 1996, rejected: 4, decided: 1996, duplicates: 0 });
    const { allow, review, block } = receipt.counts.outcomes;
    expect(allow + review + block).toBe(1996);
    expect(receipt.counts.alerts).toBe(review + block);
    expect(receipt.counts.alerts).toBe(decisions.filter((d) => d.outcome !== 'allow').length);
    expect(receipt.rejections.map((x) => x.row)).toEqual(scenario.badRows);
    expect(receipt.rejections.map((x) => x.line)).toEqual(scenario.badRows.map((row) => row + 1));
    // scenarioFile breaks the amount (negative), the timestamp, the account and the amount (text), in turn
    expect(receipt.rejections.map((x) => x.column)).toEqual(['amount', 'timestamp', 'account_id', 'amount']);
    expect(receipt.rejections.map((x) => x.reason)).toEqual([
      expect.stringContaining('greater than 0'),
      expect.stringContaining('"not-a-date"'),
      'is required',
      expect.stringContaining('"abc" is not a decimal number'),
    ]);
    expect(r.stderr).toContain('2,000 rows, 1,996 decided');
    expect(r.stderr).toContain(
      `rejected row ${scenario.badRows[0]} (line ${(scenario.badRows[0] ?? 0) + 1}), column amount`,
    );

    // Assess: rows built for a rule fired it
    const byId = new Map(decisions.map((d) => [d.transaction_id, d]));
    for (const [rule, ids] of Object.entries(scenario.expected)) {
      expect(ids.length, rule).toBeGreaterThan(0);
      for (const id of ids)
        expect(
          byId.get(id)?.reasons.map((h) => h.rule),
          `${id} fires ${rule}`,
        ).toContain(rule);
    }

    // Assess: the key went to --data-dir, and no card number is anywhere
    expect(existsSync(join(dir, 'data', 'token.key'))).toBe(true);
    expect(existsSync(join(dir, 'var'))).toBe(false);
    expectNoPan({ decisions: text, receipt: receiptText, stdout: r.stdout, stderr: r.stderr });
  });

  it('counts a repeated transaction id once as decided and then as a duplicate: accepted = decided + duplicates', async () => {
    // Prepare: 700 rows (2 bad) and 3 repeats: two of rows in the first 500-row batch, repeated
    // in the second, and one repeated within the second batch.
    const base = scenarioFile(700, 2, 9);
    const [header, ...data] = lines(base.csv);
    const repeated = [data[0], data[1], data[650]] as string[];
    writeFileSync(join(dir, 'repeats.csv'), `${[header, ...data, ...repeated].join('\n')}\n`);

    // Act
    const r = await run(['score', 'repeats.csv', '--out', 'repeats.jsonl', '--data-dir', 'data', '--no-progress'], dir);

    // Assess: one decision per distinct id, and counts that add up
    expect(r.code).toBe(0);
    const decisions = lines(readFileSync(join(dir, 'repeats.jsonl'), 'utf8')).map((l) => JSON.parse(l) as DecisionLine);
    expect(decisions).toHaveLength(698);
    expect(new Set(decisions.map((d) => d.transaction_id)).size).toBe(698);
    const receipt = JSON.parse(readFileSync(join(dir, 'repeats.jsonl.receipt.json'), 'utf8')) as Receipt;
    expect(receipt.counts).toMatchObject({ rows: 703, accepted: 701, rejected: 2, decided: 698, duplicates: 3 });
    expect(r.stderr).toContain('703 rows, 698 decided');
    expect(r.stderr).toContain('2 rejected, 3 duplicates');
  });

  it('writes CSV with a header and one row per decision when --out ends in .csv', async () => {
    // Act
    const r = await run(['score', 'in.csv', '--out', 'out.csv', '--data-dir', 'data', '--no-progress'], dir);

    // Assess
    expect(r.code).toBe(0);
    const text = readFileSync(join(dir, 'out.csv'), 'utf8');
    const [header, ...rows] = lines(text);
    expect(header).toBe(
      'transaction_id,row,timestamp,account_id,card,amount,currency,score,outcome,reasons,rules_score,model_score,rules_version,model_version,decided_at',
    );
    expect(rows).toHaveLength(1996);
    expect(rows.every((row) => /^R\d{7},\d+,/.test(row))).toBe(true);
    const receipt = JSON.parse(readFileSync(join(dir, 'out.csv.receipt.json'), 'utf8')) as Receipt;
    expect(receipt.counts).toMatchObject({ rows: 2000, decided: 1996, rejected: 4 });
    expectNoPan({ csv: text });
  });

  it('tokenises cards the same way across runs with the same data dir', async () => {
    // Prepare
    const small = scenarioFile(50, 0, 7);
    writeFileSync(join(dir, 'small.csv'), small.csv);

    // Act
    const a = await run(['score', 'small.csv', '--out', 'a.jsonl', '--data-dir', 'keys', '--no-progress'], dir);
    const b = await run(['score', 'small.csv', '--out', 'b.jsonl', '--data-dir', 'keys', '--no-progress'], dir);

    // Assess
    expect([a.code, b.code]).toEqual([0, 0]);
    const strip = (file: string): unknown[] =>
      lines(readFileSync(join(dir, file), 'utf8')).map((l) => {
        const { decided_at: _, ...rest } = JSON.parse(l) as DecisionLine;
        return rest;
      });
    expect(strip('b.jsonl')).toEqual(strip('a.jsonl'));
  });

  it('maps a renamed header with --map, and refuses it without, naming the missing field', async () => {
    // Prepare
    const renamed = scenario.csv.replace(',amount,', ',amt_usd,');
    expect(renamed).not.toBe(scenario.csv);
    writeFileSync(join(dir, 'renamed.csv'), renamed);

    // Act: the file as it is, renamed with --map, renamed without
    const plain = await run(['score', 'in.csv', '--out', 'plain.jsonl', '--data-dir', 'data', '--no-progress'], dir);
    const mapped = await run(
      [
        'score',
        'renamed.csv',
        '--out',
        'mapped.jsonl',
        '--map',
        'amt_usd=amount',
        '--data-dir',
        'data',
        '--no-progress',
      ],
      dir,
    );
    const unmapped = await run(['score', 'renamed.csv', '--out', 'unmapped.jsonl', '--data-dir', 'data'], dir);

    // Assess
    expect([plain.code, mapped.code]).toEqual([0, 0]);
    const original = lines(readFileSync(join(dir, 'plain.jsonl'), 'utf8')).map((l) => JSON.parse(l) as DecisionLine);
    expect(original).toHaveLength(1996);
    const viaMap = lines(readFileSync(join(dir, 'mapped.jsonl'), 'utf8')).map((l) => JSON.parse(l) as DecisionLine);
    expect(viaMap.map((d) => [d.transaction_id, d.amount, d.outcome])).toEqual(
      original.map((d) => [d.transaction_id, d.amount, d.outcome]),
    );
    expectUsageError(unmapped, 'renamed.csv', 'no column for amount', '--map');
    expect(existsSync(join(dir, 'unmapped.jsonl'))).toBe(false);
  });

  it('refuses a header that maps no required field, naming each, and keeps earlier results', async () => {
    // Prepare
    writeFileSync(join(dir, 'foreign.csv'), 'id,when,who,how_much\n1,2026-01-01T00:00:00Z,A1,12.00\n');
    writeFileSync(join(dir, 'previous.jsonl'), '{"earlier":"results"}\n');

    // Act
    const r = await run(['score', 'foreign.csv', '--out', 'previous.jsonl', '--data-dir', 'data'], dir);

    // Assess
    expectUsageError(r, 'foreign.csv', 'timestamp, account_id, amount', '"how_much"');
    expect(readFileSync(join(dir, 'previous.jsonl'), 'utf8')).toBe('{"earlier":"results"}\n');
    expect(readdirSync(dir).filter((f) => f.startsWith('previous'))).toEqual(['previous.jsonl']);
  });

  it('exits 2 with a clear message for a missing input file', async () => {
    const r = await run(['score', 'nope.csv', '--out', 'x.jsonl', '--data-dir', 'data'], dir);
    expectUsageError(r, 'cannot read nope.csv: no such file');
    expect(existsSync(join(dir, 'x.jsonl'))).toBe(false);
  });

  it('exits 2 for an unknown flag, pointing at help', async () => {
    const r = await run(['score', 'in.csv', '--out', 'x.jsonl', '--bogus'], dir);
    expectUsageError(r, "'--bogus'", 'fraudmini help');
  });

  it('exits 2 when --out is missing', async () => {
    const r = await run(['score', 'in.csv', '--data-dir', 'data'], dir);
    expectUsageError(r, 'score needs --out');
  });

  it('exits 2 when --out is in a folder that does not exist', async () => {
    const r = await run(['score', 'in.csv', '--out', 'no/such/dir/x.jsonl', '--data-dir', 'data'], dir);
    expectUsageError(r, 'cannot write no/such/dir/x.jsonl');
  });

  it('rejects rows longer than --max-record, and refuses a --max-record out of range', async () => {
    // Prepare: the second row is 2,000 characters long
    const long = `2026-01-01T00:00:01Z,A2,12.00,${'n'.repeat(1950)}`;
    writeFileSync(join(dir, 'long.csv'), `timestamp,account_id,amount,note\n2026-01-01T00:00:00Z,A1,11.00,ok\n${long}\n`);

    // Act
    const r = await run(['score', 'long.csv', '--out', 'long.jsonl', '--data-dir', 'data', '--max-record', '1024'], dir);
    const bad = await run(['score', 'long.csv', '--out', 'x.jsonl', '--data-dir', 'data', '--max-record', '12'], dir);

    // Assess
    expect(r.code).toBe(0);
    const receipt = JSON.parse(readFileSync(join(dir, 'long.jsonl.receipt.json'), 'utf8')) as Receipt;
    expect(receipt.counts).toMatchObject({ rows: 2, accepted: 1, rejected: 1 });
    expect(receipt.rejections[0]).toMatchObject({ row: 2, line: 3, reason: expect.stringContaining('1,024 characters') });
    expectUsageError(bad, '--max-record must be an integer 1024', '"12"');
  });

  it('exits 2 for a rules file that is not JSON or holds an unknown rule kind', async () => {
    // Prepare
    writeFileSync(join(dir, 'broken.json'), '{"version": "x", "rules": [');
    writeFileSync(
      join(dir, 'unknown-kind.json'),
      JSON.stringify({ version: 'x', thresholds: { review: 50, block: 80 }, rules: [{ id: 'nope', when: 'nope > 1', weight: 10 }] }),
    );

    // Act
    const broken = await run(
      ['score', 'in.csv', '--out', 'r1.jsonl', '--rules', 'broken.json', '--data-dir', 'd2'],
      dir,
    );
    const unknown = await run(
      ['score', 'in.csv', '--out', 'r2.jsonl', '--rules', 'unknown-kind.json', '--data-dir', 'd2'],
      dir,
    );

    // Assess
    expectUsageError(broken, 'broken.json', 'is not valid JSON');
    expectUsageError(unknown, 'unknown-kind.json: rules[0] (nope).when: unknown field nope at column 1');
    expect(existsSync(join(dir, 'r1.jsonl'))).toBe(false);
    expect(existsSync(join(dir, 'd2'))).toBe(false);
  });
});

describe('fraudmini', () => {
  let dir = '';
  let cleanup = (): void => {};

  beforeAll(() => {
    const t = tempDir('fraudmini-cli-');
    dir = t.dir;
    cleanup = t.cleanup;
  });

  afterAll(() => cleanup());

  it('refuses to start on a rules file nested too deep, naming the file and the rule, without a stack trace', async () => {
    // Prepare
    const when = `${'('.repeat(5000)}amount > 1${')'.repeat(5000)}`;
    writeFileSync(join(dir, 'deep.json'), JSON.stringify({ version: 'deep', rules: [{ id: 'deep', when, weight: 1 }] }));

    // Act
    const r = await runCli(['start', '--rules', 'deep.json', '--data-dir', 'data', '--port', '0'], dir);

    // Assess
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^fraudmini: \S*deep\.json: rules\[0\] \(deep\)\.when: the expression nests more than 100 levels deep/);
    expect(r.stderr).toContain('at column 101\n');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stderr.length).toBeLessThan(600);
  });

  it('prints its version with --version', async () => {
    const r = await run(['--version'], dir);
    expect(r).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: '' });
  });

  it('prints usage with help, exit 0, listing the commands and every environment variable', async () => {
    // Act
    const r = await run(['help'], dir);

    // Assess
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain(`fraudmini ${VERSION}`);
    expect(r.stdout).toContain('fraudmini start');
    expect(r.stdout).toContain('fraudmini score <file.csv> --out');
    for (const name of ['FRAUDMINI_DATA_DIR', 'FRAUDMINI_PORT', 'FRAUDMINI_MAP', 'FRAUDMINI_TOKEN_KEY']) {
      expect(r.stdout).toContain(name);
    }
  });

  it('exits 2 for an unknown command', async () => {
    const r = await run(['scroe'], dir);
    expectUsageError(r, 'unknown command "scroe"', 'fraudmini help');
  });
});
