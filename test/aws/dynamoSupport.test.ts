import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { BatchGetCommand, BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoRetryExhaustedError } from '../../src/adapters/aws/DynamoErrors.js';
import { batchGetAll, batchPutAll, mapLimit } from '../../src/adapters/aws/DynamoSupport.js';

/**
 * A stand-in document client for the throttling paths dynalite never takes: it leaves the last
 * request of each call unprocessed `unprocessedRounds` times, then processes everything.
 */
function throttlingClient(unprocessedRounds: number): { client: DynamoDBDocumentClient; calls: number[]; stored: Map<string, unknown> } {
  const calls: number[] = [];
  const stored = new Map<string, unknown>();
  let rounds = 0;
  const send = (cmd: unknown): Promise<unknown> => {
    if (cmd instanceof BatchWriteCommand) {
      const reqs = cmd.input.RequestItems?.t ?? [];
      calls.push(reqs.length);
      const leave = rounds++ < unprocessedRounds ? reqs.slice(-1) : [];
      for (const r of reqs.slice(0, reqs.length - leave.length)) stored.set(r.PutRequest?.Item?.id as string, r.PutRequest?.Item);
      return Promise.resolve({ UnprocessedItems: leave.length ? { t: leave } : {} });
    }
    if (cmd instanceof BatchGetCommand) {
      const keys = cmd.input.RequestItems?.t?.Keys ?? [];
      calls.push(keys.length);
      const leave = rounds++ < unprocessedRounds ? keys.slice(-1) : [];
      const served = keys.slice(0, keys.length - leave.length).map((k) => ({ id: k.id, v: 1 }));
      return Promise.resolve({ Responses: { t: served }, UnprocessedKeys: leave.length ? { t: { Keys: leave } } : {} });
    }
    return Promise.reject(new Error('unexpected command'));
  };
  return { client: { send } as unknown as DynamoDBDocumentClient, calls, stored };
}

describe('DynamoSupport', () => {
  it('retries UnprocessedItems of a BatchWriteItem until all are written', async () => {
    // Prepare
    const { client, calls, stored } = throttlingClient(3);
    const items = Array.from({ length: 30 }, (_, i) => ({ id: `i${i}` }));
    // Act
    await batchPutAll(client, 't', items, 1);
    // Assess: 25 + 5 per call at most, and every item written
    expect(Math.max(...calls)).toBeLessThanOrEqual(25);
    expect(calls.length).toBeGreaterThan(2);
    expect([...stored.keys()].sort()).toEqual(items.map((i) => i.id).sort());
  });

  it('retries UnprocessedKeys of a BatchGetItem until every key is answered', async () => {
    // Prepare
    const { client, calls } = throttlingClient(2);
    const keys = Array.from({ length: 150 }, (_, i) => ({ id: `k${i}` }));
    // Act
    const got = await batchGetAll(client, 't', keys, { concurrency: 1 });
    // Assess
    expect(Math.max(...calls)).toBeLessThanOrEqual(100);
    expect(got.map((g) => g.id).sort()).toEqual(keys.map((k) => k.id).sort());
  });

  it('gives up with a named error when DynamoDB keeps leaving requests unprocessed', async () => {
    const { client } = throttlingClient(Number.POSITIVE_INFINITY);
    await expect(batchPutAll(client, 't', [{ id: 'x' }], 1)).rejects.toBeInstanceOf(DynamoRetryExhaustedError);
  }, 60_000);

  it('runs at most `limit` calls at once and keeps results in input order', async () => {
    let inFlight = 0;
    let most = 0;
    const out = await mapLimit([5, 1, 4, 2, 3], 2, async (n) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((r) => setTimeout(r, n));
      inFlight--;
      return n * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30]);
    expect(most).toBe(2);
  });
});
