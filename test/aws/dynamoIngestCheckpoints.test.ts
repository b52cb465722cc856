import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoIngestCheckpoints } from '../../src/adapters/aws/DynamoIngestCheckpoints.js';
import type { IngestCheckpoint } from '../../src/ports/IngestCheckpoints.js';
import { RECEIPT_REJECTION_LIMIT, type Rejection } from '../../src/core/receipt.js';
import { emulatorClients, uniqueName } from './clients.js';
import { createTables, type TableNames } from './dynamoTables.js';

function rejection(row: number): Rejection {
  return { row, line: row + 1, column: 'amount', reason: `amount "abc${row}" is not a decimal number` };
}

function checkpoint(over: Partial<IngestCheckpoint> = {}): IngestCheckpoint {
  return {
    file: 'raw-bucket/inbox/a.csv',
    etag: '"0123456789abcdef"',
    status: 'ingesting',
    rowsDone: 500,
    counts: { rows: 500, accepted: 498, rejected: 2 },
    messages: 3,
    rejections: [rejection(7), rejection(9)],
    startedAt: '2024-03-01T12:00:00.000Z',
    ...over,
  };
}

describe('DynamoIngestCheckpoints', () => {
  const clients = emulatorClients();
  let tables: TableNames;
  const store = (chunkBytes?: number): DynamoIngestCheckpoints =>
    new DynamoIngestCheckpoints({ client: clients.dynamo, stateTable: tables.state, ...(chunkBytes ? { chunkBytes } : {}) });

  beforeAll(async () => {
    tables = await createTables(clients.dynamo, uniqueName('checkpoints'));
  });

  it('round-trips a checkpoint, the last put winning; another etag is another file', async () => {
    // Prepare
    const s = store();
    const cp = checkpoint();
    // Act
    const before = await s.get(cp.file, cp.etag);
    await s.put(cp);
    const first = await s.get(cp.file, cp.etag);
    const done = checkpoint({ status: 'failed', rowsDone: 900, error: 'header not understood', rejections: [...cp.rejections, rejection(800)] });
    await s.put(done);
    // Assess
    expect(before).toBeUndefined();
    expect(first).toEqual(cp);
    expect(await s.get(cp.file, cp.etag)).toEqual(done);
    expect(await store().get(cp.file, cp.etag)).toEqual(done);
    expect(await s.get(cp.file, '"another"')).toBeUndefined();
  });

  it('keeps up to the receipt limit of rejections in chunk items well under 400 KB', async () => {
    // Prepare: more rejections than a receipt lists, with long reasons, written as they grow
    const s = store();
    const many = Array.from({ length: RECEIPT_REJECTION_LIMIT + 500 }, (_, i) => ({
      ...rejection(i + 1),
      reason: `${rejection(i + 1).reason}; ${'x'.repeat(60)}`,
    }));
    const file = 'raw-bucket/inbox/big.csv';
    // Act
    await s.put(checkpoint({ file, rejections: many.slice(0, 4_000) }));
    await s.put(checkpoint({ file, rejections: many.slice(0, 7_000) }));
    await s.put(checkpoint({ file, rejections: many, rowsDone: 20_000 }));
    const fromThis = await s.get(file, checkpoint().etag);
    const fromOther = await store().get(file, checkpoint().etag);
    // Assess
    expect(fromThis?.rejections).toEqual(many.slice(0, RECEIPT_REJECTION_LIMIT));
    expect(fromOther).toEqual(fromThis);
    expect(fromThis?.rowsDone).toBe(20_000);
    const main = await clients.dynamo.send(
      new GetCommand({ TableName: tables.state, Key: { pk: `file#${file}`, sk: checkpoint().etag } }),
    );
    const chunks = main.Item?.rejectionChunks as number;
    expect(chunks).toBeGreaterThan(1);
    for (let i = 0; i < chunks; i++) {
      const c = await clients.dynamo.send(
        new GetCommand({ TableName: tables.state, Key: { pk: `file#${file}`, sk: `${checkpoint().etag}#rejections#${String(i).padStart(4, '0')}` } }),
      );
      expect(Buffer.byteLength(c.Item?.data as string)).toBeLessThanOrEqual(256 * 1024);
    }
  });

  it('reads back the shorter list when a new run rewrites a checkpoint with fewer chunks', async () => {
    // Prepare
    const s = store(200);
    const file = 'raw-bucket/inbox/rerun.csv';
    const long = Array.from({ length: 30 }, (_, i) => rejection(i + 1));
    await s.put(checkpoint({ file, rejections: long }));
    // Act: another container starts the file over
    const other = store(200);
    await other.put(checkpoint({ file, rejections: long.slice(0, 2) }));
    // Assess
    expect((await s.get(file, checkpoint().etag))?.rejections).toEqual(long.slice(0, 2));
  });
});
