/**
 * The `score` function scores the messages of one invocation together: an entity several of
 * them touch is read and written once, while the lake keeps one object per message.
 */
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AwsClients } from '../../src/adapters/aws/clients.js';
import { queryPages } from '../../src/adapters/aws/DynamoSupport.js';
import { packMessages } from '../../src/adapters/aws/queueMessages.js';
import { ENV } from '../../src/adapters/aws/tables.js';
import { useClients } from '../../src/handlers/runtime.js';
import { handler as scoreHandler } from '../../src/handlers/score.js';
import { decisionStore } from '../../src/handlers/stores.js';
import { makeTx, money } from '../helpers/transactions.js';
import { emulatorClients } from './clients.js';
import { applyEnv, captureHandlerLogs, createStack, pumpQueue, sendTo, type Stack } from './harness.js';

const c: AwsClients = emulatorClients();
let stack: Stack;
let restore: (() => void)[] = [];

beforeAll(async () => {
  stack = await createStack(c);
  restore = [applyEnv(stack.env), captureHandlerLogs().restore];
  useClients(c);
});

afterAll(() => {
  for (const r of restore) r();
});

/** The sort keys of one entity's items in the features table. */
async function featureItems(entity: string): Promise<string[]> {
  const keys: string[] = [];
  await queryPages(
    c.dynamo,
    { TableName: stack.env[ENV.featuresTable], KeyConditionExpression: 'entity = :e', ExpressionAttributeValues: { ':e': entity } },
    (items) => {
      keys.push(...items.map((it) => it.event as string));
      return true;
    },
  );
  return keys;
}

describe('score: the messages of one invocation', () => {
  it('writes a merchant that every message touches once, decides every transaction once and keeps one lake object per message', async () => {
    // Prepare: three messages of four transactions each, all at one merchant, the same day
    const t0 = Date.UTC(2026, 2, 3, 9);
    const messages = [0, 1, 2].map((m) =>
      packMessages(
        Array.from({ length: 4 }, (_, i) => ({
          transaction: makeTx({
            transactionId: `SM-${m}-${i}`,
            accountId: `SM-acct-${m}-${i}`,
            merchant: 'SM-merchant',
            amount: money('20.00'),
            timestamp: t0 + (m * 4 + i) * 60_000,
          }),
        })),
        256 * 1024,
      ),
    ).flat();
    expect(messages).toHaveLength(3);
    for (const body of messages) await sendTo(c, stack.transactions.url, body);
    // Act
    const drained = await pumpQueue(c, stack.transactions, scoreHandler, { batchSize: 10 });
    // Assess: one invocation, nothing failed
    expect(drained.invocations).toBe(1);
    expect(drained.failed).toEqual([]);
    // Assess: the merchant got one feature item for the three messages; each account one
    expect(await featureItems('merchant#SM-merchant')).toHaveLength(1);
    expect(await featureItems('account#SM-acct-2-3')).toHaveLength(1);
    // Assess: every transaction decided once
    const ids = [0, 1, 2].flatMap((m) => [0, 1, 2, 3].map((i) => `SM-${m}-${i}`));
    const decided = await decisionStore().findDecisions(ids);
    expect([...decided.keys()].sort()).toEqual([...ids].sort());
    // Assess: one lake object per message (named after its ids), so a message redelivered in
    // another company rewrites its own object
    const listed = await c.s3.send(new ListObjectsV2Command({ Bucket: stack.env[ENV.refinedBucket], Prefix: 'lake/decisions/' }));
    expect(listed.Contents ?? []).toHaveLength(3);
  });
});
