import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HANDBOOK_HEADER, type HandbookOptions, simulateHandbook, writeHandbookCsv } from '../../bench/lib/handbookData.js';
import { lines, runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/fixtures.js';

// A small world: the same mechanics as the handbook's 5,000 × 10,000, in milliseconds.
const SMALL: Partial<HandbookOptions> = { customers: 300, terminals: 600, days: 40, radius: 10, seed: 3 };
const DAY = 86_400;

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
