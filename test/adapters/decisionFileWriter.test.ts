import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DecisionFileWriter } from '../../src/adapters/local/DecisionFileWriter.js';
import { blockMargins } from '../../src/core/model/gbdt.js';
import { FEATURE_COUNT } from '../../src/core/model/vector.js';
import type { DecidedItem } from '../../src/core/records.js';
import { decidePrepared, type PreparedBatch } from '../../src/pipeline/score.js';
import { expectedDecisionLine } from '../helpers/decisionLine.js';
import { tempDir } from '../helpers/fixtures.js';
import { preparedHistory, trainedHistory } from '../helpers/trainedHistory.js';
import { makeDecision, makeTx } from '../helpers/transactions.js';

const dirs: { cleanup: () => void }[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) d.cleanup();
});

function item(id: string, accountId: string, row: number): DecidedItem {
  return { transaction: makeTx({ transactionId: id, accountId }), decision: makeDecision({ transaction_id: id }), source: { file: 'in.csv', row, line: row + 1 } };
}

describe('DecisionFileWriter', () => {
  it('writes every line of a batch whose text is far longer than the buffer first sized for it, multi-byte characters included', async () => {
    const d = tempDir();
    dirs.push(d);
    const path = join(d.dir, 'out.jsonl');
    const writer = new DecisionFileWriter(path);
    // Two lines whose account ids alone are many times the per-line guess, in characters of
    // 2, 3 and 4 UTF-8 bytes: the buffer must grow, and by bytes, not by characters.
    const long = 'é€😀'.repeat(2_000);
    const items = [item('a', long, 1), item('b', 'plain', 2), item('c', `${long}x`, 3)];
    await writer.commit(items);
    await writer.commit([item('d', 'second batch', 4)]);
    await writer.finish();
    const lines = readFileSync(path, 'utf8').split('\n');
    expect(lines.pop()).toBe('');
    const parsed = lines.map((l) => JSON.parse(l) as { transaction_id: string; account_id: string; row: number });
    expect(parsed.map((p) => [p.transaction_id, p.account_id, p.row])).toEqual([
      ['a', long, 1],
      ['b', 'plain', 2],
      ['c', `${long}x`, 3],
      ['d', 'second batch', 4],
    ]);
    expect(writer.receiptCounts.decided).toBe(4);
  });

  it('writes every field of every decision as given: with and without card, reasons, model and row', async () => {
    // Prepare: rows that differ in every field (reasons with and without a model, a model without
    // reasons), two batches (so the repeated values are coded per batch)
    const d = tempDir();
    dirs.push(d);
    const path = join(d.dir, 'out.jsonl');
    const writer = new DecisionFileWriter(path);
    const items: DecidedItem[] = [
      {
        transaction: makeTx({ transactionId: 'a', accountId: 'acc-a', amount: 1_234_500, currency: 'EUR', timestamp: Date.UTC(2024, 4, 2, 3, 4, 5, 6) }),
        decision: makeDecision({ transaction_id: 'a', score: 12, rules_score: 12, outcome: 'allow', rules_version: 'r-1', decided_at: '2024-05-02T03:04:06.000Z' }),
        source: { file: 'in.csv', row: 7, line: 8 },
      },
      {
        transaction: makeTx({ transactionId: 'b', accountId: 'acc-"b"', card: { token: 'tok', masked: '411111******1111' }, amount: 5 }),
        decision: makeDecision({
          transaction_id: 'b',
          score: 91,
          rules_score: 80,
          outcome: 'block',
          reasons: [{ rule: 'big', weight: 80, detail: 'amount > 100' }],
          model_score: 0.875,
          model_version: 'm-2',
          model_features: [{ feature: 'amount', weight: 1.5, value: 0.25 }],
          rules_version: 'r-2',
          decided_at: '2024-05-02T03:04:07.000Z',
        }),
      },
      {
        transaction: makeTx({ transactionId: 'c', accountId: 'acc-c', card: { token: 't2', masked: '550000******0004' }, amount: 99_990_000, currency: 'GBP' }),
        decision: makeDecision({ transaction_id: 'c', score: 55, rules_score: 50, outcome: 'review', model_score: 0.5, model_version: 'm-2', rules_version: 'r-1' }),
        source: { file: 'in.csv', row: 9, line: 10 },
      },
      {
        transaction: makeTx({ transactionId: 'd', accountId: 'acc-d' }),
        decision: makeDecision({ transaction_id: 'd', score: 30, rules_score: 30, outcome: 'review', reasons: [{ rule: 'new', weight: 30, detail: 'first seen' }] }),
      },
    ];

    // Act
    await writer.commit(items.slice(0, 2));
    await writer.commit(items.slice(2));
    await writer.finish();

    // Assess: each line holds its own item's values, nothing of another's
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as unknown);
    expect(lines).toEqual(
      items.map(expectedDecisionLine),
    );
  });

  it('counts a batch without a checkpoint as no rejections and no duplicates, and a checkpoint\'s as given', async () => {
    // Prepare
    const d = tempDir();
    dirs.push(d);
    const writer = new DecisionFileWriter(join(d.dir, 'out.jsonl'));

    // Act
    await writer.commit([item('a', 'acc-1', 1)]);
    await writer.commit([item('b', 'acc-1', 2)], { fileId: 1, rowsDone: 4, rejections: [], duplicates: 2 });
    await writer.finish();

    // Assess
    expect(writer.receiptCounts).toMatchObject({ decided: 2, duplicates: 2, rejected: 0, accepted: 4 });
  });

  it('writes the CSV header once, before the first batch', async () => {
    const d = tempDir();
    dirs.push(d);
    const path = join(d.dir, 'out.csv');
    const writer = new DecisionFileWriter(path);
    await writer.commit([item('a', 'acc-1', 1)]);
    await writer.commit([item('b', 'acc-2', 2)]);
    await writer.finish();
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]?.startsWith('transaction_id,row,timestamp,account_id')).toBe(true);
    expect(lines.slice(1).map((l) => l.split(',')[0])).toEqual(['a', 'b']);
  });

  it('raises a write error from finish, as a DecisionFileError naming the cause, and leaves no file', async () => {
    const d = tempDir();
    dirs.push(d);
    const path = join(d.dir, 'gone', 'out.jsonl');
    const writer = new DecisionFileWriter(path);
    // The first batch may be accepted before the thread has met the error: it is raised at the latest by finish.
    await writer.commit([item('a', 'acc-1', 1)]).catch(() => undefined);
    await expect(writer.finish()).rejects.toThrow(/cannot write the decisions file: .*ENOENT/);
    expect(existsSync(path)).toBe(false);
    expect(existsSync(`${path}.part`)).toBe(false);
  });

  it('leaves nothing behind after abort', async () => {
    const d = tempDir();
    dirs.push(d);
    const path = join(d.dir, 'out.jsonl');
    const writer = new DecisionFileWriter(path);
    await writer.commit([item('a', 'acc-1', 1)]);
    await writer.abort();
    expect(readdirSync(d.dir)).toEqual([]);
  });

  it('writes many batches in the order they were committed, more than the thread holds ahead', async () => {
    const d = tempDir();
    dirs.push(d);
    const path = join(d.dir, 'out.jsonl');
    const writer = new DecisionFileWriter(path);
    const ids: string[] = [];
    for (let b = 0; b < 12; b++) {
      const batch = Array.from({ length: 50 }, (_, i) => item(`t${b}-${i}`, `acc-${i % 7}`, b * 50 + i + 1));
      ids.push(...batch.map((x) => x.decision.transaction_id));
      await writer.commit(batch);
    }
    await writer.finish();
    const written = readFileSync(path, 'utf8').trimEnd().split('\n').map((l) => (JSON.parse(l) as { transaction_id: string }).transaction_id);
    expect(written).toEqual(ids);
    expect(writer.receiptCounts.decided).toBe(600);
  });
});

describe('DecisionFileWriter, batches decided on its thread', () => {
  it('writes the file and counts the receipt of the same batches decided before they are committed', async () => {
    // Prepare: the same batches twice (vectors copied: a prepared batch's matrix goes to the thread)
    const d = tempDir();
    dirs.push(d);
    const { model } = trainedHistory();
    const prepared = preparedHistory(300);
    const decidedFirst = new DecisionFileWriter(join(d.dir, 'decided.jsonl'));
    const decidedThere = new DecisionFileWriter(join(d.dir, 'there.jsonl'), undefined, undefined, { model });

    // Act
    for (const p of prepared) {
      const margins = new Float64Array(p.fresh.length);
      blockMargins(model.flat, p.matrix, FEATURE_COUNT, p.fresh.length, margins);
      const checkpoint = { fileId: 0, rowsDone: 0, rejections: [], duplicates: p.duplicates.length };
      await decidedFirst.commit(decidePrepared(p, margins, model).decided, checkpoint);
      await decidedThere.commitPrepared({ ...p, matrix: p.matrix.slice() }, checkpoint);
    }
    await decidedFirst.finish();
    await decidedThere.finish();

    // Assess: byte for byte, with every outcome, reasons and named features among the lines
    const expected = readFileSync(join(d.dir, 'decided.jsonl'), 'utf8');
    expect(readFileSync(join(d.dir, 'there.jsonl'), 'utf8')).toBe(expected);
    expect(decidedThere.receiptCounts).toEqual(decidedFirst.receiptCounts);
    const counts = decidedFirst.receiptCounts;
    expect(counts.duplicates).toBe(1);
    expect(counts.outcomes.review).toBeGreaterThan(0);
    expect(counts.outcomes.block).toBeGreaterThan(0);
    expect(expected).toContain('"model_features":[');
    expect(expected).toMatch(/"reasons":\[\{/);
  });

  it('refuses a batch to decide when it was given no model, and writes nothing', async () => {
    // Prepare
    const d = tempDir();
    dirs.push(d);
    const writer = new DecisionFileWriter(join(d.dir, 'out.jsonl'));
    const [first] = preparedHistory(50);

    // Act
    const error = await writer.commitPrepared(first as PreparedBatch).then(
      () => undefined,
      (e: unknown) => e,
    );
    await writer.abort();

    // Assess
    expect((error as Error).message).toBe('this decisions file writer has no model to decide with');
    expect(writer.receiptCounts.decided).toBe(0);
    expect(readdirSync(d.dir)).toEqual([]);
  });
});
