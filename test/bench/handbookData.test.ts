import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HANDBOOK_HEADER, type HandbookOptions, simulateHandbook, writeHandbookCsv } from '../../bench/lib/handbookData.js';
import { lines, runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/fixtures.js';

// A small world: the same mechanics as the handbook's 5,000 × 10,000, in milliseconds.
const SMALL: Partial<HandbookOptions> = { customers: 300, terminals: 600, days: 40, radius: 10, seed: 3 };
const DAY = 86_400;

/** The bytes of a typed array, for a cheap exact comparison. */
const bytes = (a: ArrayBufferView): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe('simulateHandbook', () => {
  const t = simulateHandbook(SMALL);

  it('gives the same transactions for the same seed, and others for another seed', () => {
    // Act
    const again = simulateHandbook(SMALL);
    const other = simulateHandbook({ ...SMALL, seed: 4 });
    // Assess
    expect(again.length).toBe(t.length);
    for (const k of ['seconds', 'customer', 'terminal', 'cents', 'scenario'] as const) expect(bytes(again[k]).equals(bytes(t[k]))).toBe(true);
    expect(bytes(other.cents.subarray(0, 100)).equals(bytes(t.cents.subarray(0, 100)))).toBe(false);
  });

  it('keeps transactions in time order, inside the simulated days, with positive amounts', () => {
    // Assess
    expect(t.length).toBeGreaterThan(1000);
    const backwards = t.seconds.findIndex((s, i) => i > 0 && s < (t.seconds[i - 1] as number));
    expect(backwards).toBe(-1);
    expect(t.seconds[0]).toBeGreaterThan(0);
    expect(t.seconds[t.length - 1]).toBeLessThan((SMALL.days as number) * DAY);
    expect(Math.min(...t.cents)).toBeGreaterThan(0);
    expect(Math.max(...t.customer)).toBeLessThan(SMALL.customers as number);
    expect(Math.max(...t.terminal)).toBeLessThan(SMALL.terminals as number);
  });

  it('puts transactions around noon (normal times of day)', () => {
    // Act
    let sum = 0;
    for (const s of t.seconds) sum += s % DAY;
    // Assess: the mean time of day is noon within an hour (20,000 s spread, thousands of draws).
    expect(Math.abs(sum / t.length - DAY / 2)).toBeLessThan(3600);
  });

  it('labels every amount over 220 as fraud (scenario 1), or as a compromised customer multiplied by 5 (scenario 3)', () => {
    // Assess
    let large = 0;
    for (let i = 0; i < t.length; i++) {
      if ((t.cents[i] as number) > 22_000) {
        large++;
        expect(t.scenario[i]).toBeGreaterThan(0);
      }
    }
    expect(large).toBeGreaterThan(0);
  });

  it('makes every transaction of a compromised terminal on a compromised day fraud (scenario 2)', () => {
    // Prepare: terminal-days with a scenario-2 fraud.
    const compromised = new Set<string>();
    for (let i = 0; i < t.length; i++) {
      if (t.scenario[i] === 2) compromised.add(`${t.terminal[i]}/${Math.floor((t.seconds[i] as number) / DAY)}`);
    }
    // Assess
    expect(compromised.size).toBeGreaterThan(0);
    for (let i = 0; i < t.length; i++) {
      if (compromised.has(`${t.terminal[i]}/${Math.floor((t.seconds[i] as number) / DAY)}`)) expect(t.scenario[i]).toBeGreaterThan(0);
    }
  });

  it('multiplies the amounts of compromised customers by 5 and leaves about two thirds of their transactions genuine (scenario 3)', () => {
    // Prepare: each customer's first and last scenario-3 day.
    const span = new Map<number, [number, number]>();
    for (let i = 0; i < t.length; i++) {
      if (t.scenario[i] !== 3) continue;
      expect((t.cents[i] as number) % 5).toBe(0);
      const c = t.customer[i] as number;
      const d = Math.floor((t.seconds[i] as number) / DAY);
      const s = span.get(c);
      span.set(c, s ? [s[0], d] : [d, d]);
    }
    // Act: the customers' transactions inside those spans.
    let inSpan = 0;
    let fraud3 = 0;
    for (let i = 0; i < t.length; i++) {
      const s = span.get(t.customer[i] as number);
      const d = Math.floor((t.seconds[i] as number) / DAY);
      if (s && d >= s[0] && d <= s[1]) {
        inSpan++;
        if (t.scenario[i] === 3) fraud3++;
      }
    }
    // Assess
    expect(span.size).toBeGreaterThan(0);
    expect(fraud3 / inSpan).toBeGreaterThan(0.2);
    expect(fraud3 / inSpan).toBeLessThan(0.5);
  });
});

describe('writeHandbookCsv', () => {
  const tmp = tempDir('fraudmini-handbook-');
  afterAll(() => tmp.cleanup());
  const t = simulateHandbook(SMALL);

  it('writes the handbook columns, numbered rows, a zoneless TX_DATETIME matching TX_TIME_SECONDS, cut at the rows asked for', () => {
    // Act
    const file = join(tmp.dir, 'hb.csv');
    const written = writeHandbookCsv(t, file, '2018-04-01', 500);
    const [header, ...rows] = lines(readFileSync(file, 'utf8'));
    // Assess
    expect(written).toBe(500);
    expect(header).toBe(HANDBOOK_HEADER);
    expect(rows).toHaveLength(500);
    rows.forEach((row, i) => {
      const [id, datetime, customer, terminal, amount, seconds, days, fraud, scenario] = row.split(',');
      expect(id).toBe(String(i));
      expect(datetime).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
      expect(Date.parse(`${datetime?.replace(' ', 'T')}Z`)).toBe(Date.UTC(2018, 3, 1) + Number(seconds) * 1000);
      expect(Number(seconds)).toBe(t.seconds[i]);
      expect(Number(days)).toBe(Math.floor(Number(seconds) / DAY));
      expect(customer).toBe(String(t.customer[i]));
      expect(terminal).toBe(String(t.terminal[i]));
      expect(amount).toMatch(/^\d+\.\d{2}$/);
      expect(Math.round(Number(amount) * 100)).toBe(t.cents[i]);
      expect(fraud).toBe(t.scenario[i] === 0 ? '0' : '1');
      expect(scenario).toBe(String(t.scenario[i]));
    });
  });

  it('is read by fraudmini score without --map: every row decided, ids, accounts, times and amounts from the handbook columns', async () => {
    // Prepare
    const file = join(tmp.dir, 'score.csv');
    writeHandbookCsv(t, file, '2018-04-01', 2000);
    const out = join(tmp.dir, 'decisions.jsonl');
    // Act
    const run = await runCli(['score', file, '--out', out, '--no-progress'], tmp.dir);
    // Assess
    expect(run.code).toBe(0);
    const receipt = JSON.parse(readFileSync(`${out}.receipt.json`, 'utf8')) as { counts: { rows: number; decided: number; rejected: number } };
    expect(receipt.counts).toMatchObject({ rows: 2000, decided: 2000, rejected: 0 });
    const csv = lines(readFileSync(file, 'utf8')).slice(1);
    const decisions = lines(readFileSync(out, 'utf8')).map((l) => JSON.parse(l) as Record<string, unknown>);
    const byId = new Map(decisions.map((d) => [d.transaction_id, d]));
    expect(byId.size).toBe(2000);
    for (const row of csv) {
      const [id, datetime, customer, , amount] = row.split(',');
      const d = byId.get(id);
      expect(d?.account_id).toBe(customer);
      expect(d?.amount).toBe(amount);
      expect(d?.currency).toBe('USD');
      expect(d?.timestamp).toBe(`${datetime?.replace(' ', 'T')}.000Z`);
    }
  });
});
