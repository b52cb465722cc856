import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPanTokenizer, luhnValid } from '../../src/core/pan.js';
import type { Transaction } from '../../src/core/transaction.js';
import { ingestCsv } from '../../src/pipeline/ingest.js';
import type { Rejection } from '../../src/core/receipt.js';
import {
  generateTraffic,
  TRAFFIC_HEADER,
  type TrafficChunk,
  type TrafficOptions,
} from '../../src/synth/generateTraffic.js';
import { SCENARIOS } from '../../src/synth/scenarios.js';
import { builtBin } from '../helpers/cli.js';
import { tempDir } from '../helpers/fixtures.js';

const START = Date.UTC(2026, 0, 1);

interface Generated {
  bytes: Buffer;
  text: string;
  last: TrafficChunk;
  chunks: number;
}

/** Runs the generator to the end and joins its chunks. */
function generate(options: Partial<TrafficOptions> = {}): Generated {
  const parts: Uint8Array[] = [];
  let last: TrafficChunk | undefined;
  for (const chunk of generateTraffic({ customers: 200, days: 10, seed: 1, start: START, ...options })) {
    parts.push(chunk.csv);
    last = chunk;
  }
  if (last === undefined) throw new Error('the generator yielded nothing');
  const bytes = Buffer.concat(parts);
  return { bytes, text: bytes.toString('latin1'), last, chunks: parts.length };
}

/** Data rows split into fields (generated text never quotes: no field holds a comma). */
function rowsOf(text: string): string[][] {
  return text
    .split('\n')
    .slice(1)
    .filter((l) => l !== '')
    .map((l) => l.split(','));
}

const COLUMNS = TRAFFIC_HEADER.split(',');
const col = (name: string): number => COLUMNS.indexOf(name);

describe('generateTraffic', () => {
  // One moderate run shared by the read-only checks: 300 customers for 30 days (~30,000 rows).
  let run: Generated;
  let rows: string[][];

  beforeAll(() => {
    run = generate({ customers: 300, days: 30, seed: 11 });
    rows = rowsOf(run.text);
  });

  it('gives byte-identical output for the same seed and options, and different output for another seed', () => {
    // Act
    const a = generate({ seed: 5 });
    const b = generate({ seed: 5 });
    const c = generate({ seed: 6 });

    // Assess
    expect(a.bytes.equals(b.bytes)).toBe(true);
    expect(a.bytes.equals(c.bytes)).toBe(false);
    expect(a.last).toEqual(b.last);
  });

  it('does not depend on how the output is chunked', () => {
    // Act
    const big = generate({ seed: 3 });
    const small = generate({ seed: 3, chunkBytes: 4096 });

    // Assess
    expect(small.chunks).toBeGreaterThan(big.chunks);
    expect(small.bytes.equals(big.bytes)).toBe(true);
  });

  it('writes the exact header and rows of 16 fields with the documented shapes', () => {
    // Assess: header
    expect(run.text.slice(0, run.text.indexOf('\n'))).toBe(
      'transaction_id,timestamp,account_id,card_number,amount,currency,merchant,merchant_category,terminal_id,' +
        'country,origin_country,destination_country,account_balance,channel,label,scenario',
    );
    expect(run.text.endsWith('\n')).toBe(true);
    expect(rows.length).toBe(run.last.rows);
    expect(rows.length).toBeGreaterThan(20_000);

    // Assess: every row (problems collected, then compared: an expect per field of 30,000 rows is slow)
    const scenarios = new Set<string>(SCENARIOS);
    const ids = new Set<string>();
    const problems: string[] = [];
    const check = (ok: boolean, what: string, r: string[]): void => {
      if (!ok && problems.length < 10) problems.push(`${what}: ${r.join(',')}`);
    };
    for (const r of rows) {
      check(r.length === 16, '16 fields', r);
      const [id, ts, account, card, amount, currency, merchant, category, terminal, country, origin, dest, balance] =
        r as [string, string, string, string, string, string, string, string, string, string, string, string, string];
      const [channel, label, scenario] = r.slice(13) as [string, string, string];
      ids.add(id);
      check(/^2026-01-(0[1-9]|[12]\d|30)T\d{2}:\d{2}:\d{2}Z$/.test(ts), 'timestamp', r);
      check(/^A\d{7}$/.test(account), 'account_id', r);
      check(/^\d+\.\d{2}$/.test(amount) && Number(amount) > 0, 'amount', r);
      check(currency === 'USD', 'currency', r);
      check(/^-?\d+\.\d{2}$/.test(balance), 'account_balance', r);
      check(/^[A-Z]{2}$/.test(country), 'country', r);
      check(['pos', 'ecom', 'atm', 'transfer'].includes(channel), 'channel', r);
      if (channel === 'transfer') {
        check(card === '' && category === 'transfer' && origin === country && /^[A-Z]{2}$/.test(dest), 'transfer', r);
      } else {
        check(/^[45]\d{15}$/.test(card), 'card_number', r);
        check(merchant !== '' && origin === '' && dest === '', 'merchant, no route', r);
        check((terminal === '') === (channel === 'ecom'), 'terminal only off line', r);
      }
      check(label === '0' ? scenario === '' : label === '1' && scenarios.has(scenario), 'label and scenario', r);
    }
    expect(problems).toEqual([]);
    expect(ids.size).toBe(rows.length);
  });

  it('passes the pipeline validation: every row accepted, labels and scenarios read', async () => {
    // Prepare
    async function* source(): AsyncGenerator<Buffer> {
      for (const chunk of generateTraffic({ customers: 300, days: 30, seed: 11, start: START })) {
        yield Buffer.from(chunk.csv.buffer, chunk.csv.byteOffset, chunk.csv.byteLength);
      }
    }
    const accepted: Transaction[] = [];
    const rejections: Rejection[] = [];

    // Act
    for await (const batch of ingestCsv(source(), {
      fileKey: 'generated.csv',
      tokenizer: createPanTokenizer('k'.repeat(32)),
    })) {
      for (const r of batch.rows) accepted.push(r.transaction);
      rejections.push(...batch.rejections);
    }

    // Assess
    expect(rejections).toEqual([]);
    expect(accepted).toHaveLength(rows.length);
    const frauds = accepted.filter((t) => t.label === 1);
    expect(frauds.length).toBeGreaterThan(0);
    expect(accepted.every((t) => t.label === 0 || t.label === 1)).toBe(true);
    expect(frauds.every((t) => SCENARIOS.includes(t.attributes.scenario as (typeof SCENARIOS)[number]))).toBe(true);
    expect(accepted.filter((t) => t.attributes.scenario !== undefined)).toHaveLength(frauds.length);
    expect(accepted.filter((t) => t.card !== undefined).every((t) => t.card?.bin !== undefined)).toBe(true);
  });

  it('writes timestamps in order, within the requested days', () => {
    // Prepare
    const first = Date.UTC(2026, 0, 1);
    const end = first + 30 * 86_400_000;
    let previous = first;
    const problems: string[] = [];

    // Act
    for (const r of rows) {
      const t = Date.parse(r[col('timestamp')] as string);
      if (t < previous || t >= end) problems.push(r.join(','));
      previous = t;
    }

    // Assess
    expect(problems).toEqual([]);
  });

  it('plants every scenario in a moderate run, with a fraud rate under 1.5%', () => {
    // Prepare
    const counts = new Map<string, number>();
    for (const r of rows) {
      const s = r[col('scenario')] as string;
      if (s !== '') counts.set(s, (counts.get(s) ?? 0) + 1);
    }
    const fraud = [...counts.values()].reduce((a, b) => a + b, 0);

    // Assess
    for (const s of SCENARIOS) expect(counts.get(s) ?? 0, s).toBeGreaterThan(0);
    // A few compromised terminals make up much of the fraud, so small runs vary more than large ones.
    expect(fraud / rows.length).toBeGreaterThan(0.003);
    expect(fraud / rows.length).toBeLessThan(0.015);
    expect(Object.fromEntries(counts)).toEqual(run.last.frauds);
  });

  it('plants every scenario in a 1,000-customer, 60-day run, at an overall fraud rate of 0.5–1.5%', () => {
    // Act
    let last: TrafficChunk | undefined;
    for (const chunk of generateTraffic({ customers: 1000, days: 60, seed: 1, start: START })) last = chunk;

    // Assess
    const frauds = SCENARIOS.map((s) => last?.frauds[s] ?? 0);
    for (const [i, s] of SCENARIOS.entries()) expect(frauds[i], s).toBeGreaterThan(0);
    const rate = frauds.reduce((a, b) => a + b, 0) / (last?.rows ?? 1);
    expect(rate).toBeGreaterThan(0.005);
    expect(rate).toBeLessThan(0.015);
  });

  it('gives Luhn-valid card numbers, each card belonging to one account, some accounts with two', () => {
    // Prepare
    const owner = new Map<string, string>();
    const cardsOf = new Map<string, Set<string>>();

    const shared: string[] = [];

    // Act
    for (const r of rows) {
      const card = r[col('card_number')] as string;
      if (card === '') continue;
      const account = r[col('account_id')] as string;
      if ((owner.get(card) ?? account) !== account) shared.push(card);
      owner.set(card, account);
      cardsOf.set(account, (cardsOf.get(account) ?? new Set()).add(card));
    }

    // Assess
    expect(shared).toEqual([]);
    expect(owner.size).toBeGreaterThan(300);
    expect([...owner.keys()].filter((card) => !luhnValid(card))).toEqual([]);
    const sizes = [...cardsOf.values()].map((s) => s.size);
    expect(Math.max(...sizes)).toBe(2);
    expect(Math.min(...sizes)).toBe(1);
  });

  it('keeps each account balance continuous: the next balance is this one minus the amount', () => {
    // Prepare
    const after = new Map<string, number>();
    let checked = 0;
    let deposits = 0;

    const decreases: string[] = [];

    // Act: between two rows of an account only salary deposits (increases) may happen.
    for (const r of rows) {
      const account = r[col('account_id')] as string;
      const balance = Math.round(Number(r[col('account_balance')]) * 100);
      const expected = after.get(account);
      if (expected !== undefined) {
        if (balance === expected) checked++;
        else if (balance > expected) deposits++;
        else decreases.push(r.join(','));
      }
      after.set(account, balance - Math.round(Number(r[col('amount')]) * 100));
    }

    // Assess
    expect(decreases).toEqual([]);
    expect(checked).toBeGreaterThan(rows.length * 0.9);
    expect(deposits).toBeGreaterThan(0);
  });

  it('makes legit traffic that fixed rules mistake for fraud: large, abroad, round and fast', () => {
    // Prepare
    const legit = rows.filter((r) => r[col('label')] === '0');
    const amount = (r: string[]): number => Number(r[col('amount')]);

    // Assess
    expect(legit.filter((r) => amount(r) > 1000).length).toBeGreaterThan(50);
    expect(legit.filter((r) => amount(r) < 50 && Number.isInteger(amount(r))).length).toBeGreaterThan(500);
    const abroad = (r: string[]): boolean => r[col('origin_country')] !== r[col('destination_country')];
    expect(legit.filter((r) => r[col('channel')] === 'transfer' && abroad(r)).length).toBeGreaterThan(5);
    expect(legit.filter((r) => r[col('country')] !== 'US' && r[col('channel')] === 'pos').length).toBeGreaterThan(100);
  });

  it('keeps most fraud below the fixed high-value limit of 10,000', () => {
    // Prepare
    const fraud = rows.filter((r) => r[col('label')] === '1');

    // Assess
    expect(fraud.filter((r) => Number(r[col('amount')]) > 10_000).length / fraud.length).toBeLessThan(0.05);
  });
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI in `cwd`. */
function cli(args: string[], cwd: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [builtBin(), ...args], { cwd, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : undefined) : 0;
      if (code === undefined) reject(error);
      else resolve({ code, stdout, stderr });
    });
  });
}

describe('fraudmini generate', () => {
  let dir = '';
  let cleanup = (): void => {};

  beforeAll(() => {
    const t = tempDir('fraudmini-generate-');
    dir = t.dir;
    cleanup = t.cleanup;
  });

  afterAll(() => cleanup());

  it('writes the file the library generates, and a summary line with rows, frauds per scenario and speed', async () => {
    // Act
    const r = await cli(
      ['generate', '--customers', '60', '--days', '7', '--seed', '9', '--start', '2026-03-01', '--out', 'tx.csv'],
      dir,
    );

    // Assess
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    const file = readFileSync(join(dir, 'tx.csv'));
    const expected = generate({ customers: 60, days: 7, seed: 9, start: Date.UTC(2026, 2, 1) });
    expect(file.equals(expected.bytes)).toBe(true);
    expect(existsSync(join(dir, 'tx.csv.part'))).toBe(false);
    const rows = expected.last.rows.toLocaleString('en-US');
    const summary = `^tx\\.csv: ${rows} rows, [\\d,]+ fraud \\(\\d+\\.\\d\\d%\\): card_testing \\d+`;
    expect(r.stderr).toMatch(new RegExp(summary));
    for (const s of SCENARIOS) expect(r.stderr).toContain(`${s} ${expected.last.frauds[s]}`);
    expect(r.stderr).toMatch(/ in \d+\.\ds \([\d,]+ rows\/s\)\n$/);
  });

  it.each([['fraudmini'], ['handbook']])(
    'exits 1 with one line naming the file when %s output cannot be written, and leaves what was there alone',
    async (style) => {
      // Prepare: a folder where the part file would go, so opening it fails
      mkdirSync(join(dir, `${style}.csv.part`));

      // Act
      const r = await cli(['generate', '--style', style, '--customers', '5', '--days', '1', '--no-progress', '--out', `${style}.csv`], dir);

      // Assess
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`^fraudmini: cannot write ${style}\\.csv: EISDIR[^\\n]*\\n$`));
      expect(existsSync(join(dir, `${style}.csv`))).toBe(false);
      expect(existsSync(join(dir, `${style}.csv.part`))).toBe(true);
    },
  );

  it('uses the defaults: 1,000 customers, 30 days from 2026-01-01, seed 1', async () => {
    // Act
    const r = await cli(['generate', '--out', 'default.csv', '--no-progress'], dir);

    // Assess
    expect(r.code).toBe(0);
    const file = readFileSync(join(dir, 'default.csv'), 'latin1');
    const rows = rowsOf(file);
    expect(new Set(rows.map((row) => row[col('account_id')])).size).toBeGreaterThan(990);
    expect(rows[0]?.[col('timestamp')]).toMatch(/^2026-01-01T/);
    expect(rows.at(-1)?.[col('timestamp')]).toMatch(/^2026-01-30T/);
    expect(rows[0]?.[col('transaction_id')]).toBe('G1-000000001');
  });

  it.each([
    [['--customers', '0', '--out', 'x.csv'], '--customers must be a whole number from 1'],
    [['--customers', '12abc', '--out', 'x.csv'], '--customers'],
    [['--days', '-3', '--out', 'x.csv'], '--days'],
    [['--seed', '1.5', '--out', 'x.csv'], '--seed'],
    [['--start', '2026-02-30', '--out', 'x.csv'], '--start must be a date YYYY-MM-DD'],
    [['--start', 'tomorrow', '--out', 'x.csv'], '--start'],
    [['--customers', '10'], 'generate needs --out'],
    [['--out', 'x.csv', '--colour', 'red'], '--colour'],
    [['extra.csv', '--out', 'x.csv'], 'generate takes no file arguments'],
    [['--out', 'no/such/folder/x.csv'], 'no such folder'],
  ])('exits 2 with a one-line reason for bad arguments: %j', async (args, fragment) => {
    // Act
    const r = await cli(['generate', ...args], dir);

    // Assess
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^fraudmini: /);
    expect(r.stderr).toContain(fragment);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(join(dir, 'x.csv'))).toBe(false);
  });
});
