import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRulesFile } from '../../src/adapters/local/FileRulesSource.js';
import { collectProtocol, fitProtocol, type ProtocolOptions } from '../../src/pipeline/protocol.js';
import { chunked } from '../helpers/labelledHistory.js';
import { T0, testTokenizer } from '../helpers/transactions.js';

const DAY = 86_400_000;
const START = Date.UTC(2024, 0, 1);

function options(): ProtocolOptions {
  return {
    fileKey: 'p.csv',
    tokenizer: testTokenizer(),
    rules: loadRulesFile(join(import.meta.dirname, '../../rules/default.json')),
    split: { trainFrom: START, trainDays: 7, delayDays: 7, testDays: 7 },
    now: () => new Date(T0),
  };
}

/** A CSV of (id, account, day, label) rows at noon of the given day after START. */
function csv(rows: [string, string, number, 0 | 1][]): string {
  const lines = ['transaction_id,timestamp,account_id,amount,terminal_id,label'];
  for (const [id, account, day, label] of [...rows].sort((a, b) => a[2] - b[2])) {
    lines.push(`${id},${new Date(START + day * DAY + 12 * 3_600_000).toISOString()},${account},25.00,T1,${label}`);
  }
  return `${lines.join('\n')}\n`;
}

describe('the handbook protocol', () => {
  it('trains on the training days, tests on the test days, and leaves out cards whose fraud is known by a test day', async () => {
    // Prepare: days 0–6 train, 7–13 delay, 14–20 test. A: fraud on a training day. B: fraud on
    // day 9 — known (more than the 7-day delay before) from day 17 on. C: legit throughout.
    const rows: [string, string, number, 0 | 1][] = [
      ['a1', 'A', 2, 1],
      ['a2', 'A', 14, 0],
      ['b0', 'B', 3, 0],
      ['b1', 'B', 9, 1],
      ['b2', 'B', 16, 1],
      ['b3', 'B', 17, 0],
      ['c0', 'C', 1, 0],
      ['c1', 'C', 5, 0],
      ['c2', 'C', 15, 0],
      ['c3', 'C', 20, 0],
      ['c4', 'C', 21, 0],
      ['x0', 'D', -3, 1],
    ];

    // Act
    const data = await collectProtocol(chunked(csv(rows)), options());
    const result = fitProtocol(data, options());

    // Assess: training rows are days 0–6 only (not the fraud of day −3); the test keeps B on
    // day 16 (its fraud of day 9 is not known yet: 9 is not before 16 − 7) but not on day 17,
    // drops A (fraud in training), and ends before day 21.
    expect(data.training.rows).toBe(4);
    expect(data.training.positives).toBe(1);
    const kept = data.test.map((t) => `${t.card}@${t.day - START / DAY}`);
    expect(kept).toEqual(['C@15', 'B@16', 'C@20']);
    expect(result.testRows).toBe(3);
    expect(result.testFrauds).toBe(1);
    expect(result.model.training.from).toBe(new Date(START).toISOString());
    expect(result.model.training.to).toBe(new Date(START + 7 * DAY).toISOString());
    expect(result.model.training.label_delay_ms).toBe(7 * DAY);
  });
});
