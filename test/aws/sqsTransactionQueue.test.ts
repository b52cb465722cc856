import type { SendMessageBatchCommandInput, SendMessageBatchCommandOutput, SQSClient } from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { SqsSendError } from '../../src/adapters/aws/sqsBatch.js';
import { SqsTransactionQueue } from '../../src/adapters/aws/SqsTransactionQueue.js';
import { decodeMessage, packMessages } from '../../src/adapters/aws/queueMessages.js';
import type { QueuedTransaction } from '../../src/ports/TransactionQueue.js';
import { makeTx, T0, testTokenizer } from '../helpers/transactions.js';
import { createQueue, drainQueue, emulatorClients, uniqueName } from './clients.js';

const KiB = 1024;
const tokenize = testTokenizer();
// Built at run time so no card-number literal sits in the source.
const PAN = ['4111', '1111', '1111', '1111'].join('');

function items(n: number): QueuedTransaction[] {
  return Array.from({ length: n }, (_, i) => ({
    transaction: makeTx({
      transactionId: `tx-${String(i).padStart(5, '0')}`,
      timestamp: T0 + i * 1000,
      accountId: `acc-${i % 97}`,
      amount: 10_000 + i,
      merchant: i % 50 === 0 ? `Café ☕ 🍕 ${i}` : `merchant-${i % 13}`,
      ...(i % 3 === 0 ? { card: tokenize(PAN) } : {}),
      attributes: i % 7 === 0 ? { note: 'x'.repeat(i % 200) } : {},
    }),
    source: { file: 'inbox/big.csv', row: i + 1, line: i + 2 },
  }));
}

describe('SqsTransactionQueue on fauxqs', () => {
  let sqs: SQSClient;

  beforeAll(() => {
    sqs = emulatorClients().sqs;
  });

  it('packs 10,000 transactions into few messages and each arrives exactly once', async () => {
    // Prepare
    const url = await createQueue(sqs, uniqueName('transactions'));
    const queue = new SqsTransactionQueue(sqs, url);
    const sent = items(10_000);
    const totalBytes = sent.reduce((s, it) => s + Buffer.byteLength(JSON.stringify(it)) + 1, 0);
    // Act
    const { messages, requests } = await queue.send(sent);
    const bodies = await drainQueue(sqs, url);
    // Assess
    expect(messages).toBeLessThanOrEqual(Math.ceil(totalBytes / (256 * KiB)) + 2);
    expect(requests).toBe(messages); // 256 KiB messages: one full message per 256 KiB batch
    expect(bodies).toHaveLength(messages);
    for (const b of bodies) expect(Buffer.byteLength(b)).toBeLessThanOrEqual(256 * KiB);
    const received = bodies.flatMap((b) => decodeMessage(b));
    const byId = new Map(received.map((r) => [r.transaction.transactionId, r]));
    expect(received).toHaveLength(sent.length);
    expect(byId.size).toBe(sent.length);
    for (const s of sent) expect(byId.get(s.transaction.transactionId)).toEqual(s);
    expect(bodies.join('')).not.toContain(PAN);
  });

  it('fills batches of up to 10 small messages within the batch byte limit', async () => {
    // Prepare: 8 KiB messages, so 10 fit in one 256 KiB batch.
    const url = await createQueue(sqs, uniqueName('small-messages'));
    const queue = new SqsTransactionQueue(sqs, url, { maxMessageBytes: 8 * KiB, maxBatchBytes: 256 * KiB });
    const sent = items(2_000);
    // Act
    const { messages, requests } = await queue.send(sent);
    const received = (await drainQueue(sqs, url)).flatMap((b) => decodeMessage(b));
    // Assess
    expect(requests).toBe(Math.ceil(messages / 10));
    expect(received.map((r) => r.transaction.transactionId)).toEqual(
      expect.arrayContaining(sent.map((s) => s.transaction.transactionId)),
    );
    expect(received).toHaveLength(sent.length);
  });

  it('throws before sending anything when one transaction alone exceeds the message limit', async () => {
    // Prepare
    const url = await createQueue(sqs, uniqueName('oversized'));
    const queue = new SqsTransactionQueue(sqs, url);
    const huge = items(3);
    (huge[1] as QueuedTransaction).transaction.attributes = { blob: 'y'.repeat(300 * KiB) };
    // Act / Assess
    await expect(queue.send(huge)).rejects.toThrow(/tx-00001 alone exceeds the 262144-byte message limit/);
    expect(await drainQueue(sqs, url)).toEqual([]);
  });

  it('retries entries SQS reports as failed and delivers each once', async () => {
    // Prepare: a client whose first SendMessageBatch loses its first entry on the server side.
    const client = emulatorClients().sqs;
    let calls = 0;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName !== 'SendMessageBatchCommand' || calls++ > 0) return next(args);
        const input = args.input as SendMessageBatchCommandInput;
        const [dropped, ...rest] = input.Entries ?? [];
        const result = await next({ ...args, input: { ...input, Entries: rest } });
        const output = result.output as SendMessageBatchCommandOutput;
        output.Failed = [{ Id: dropped?.Id, Code: 'InternalError', Message: 'injected', SenderFault: false }];
        return result;
      },
      { step: 'initialize', name: 'failFirstEntryOnce' },
    );
    const url = await createQueue(client, uniqueName('retried'));
    const queue = new SqsTransactionQueue(client, url, { maxMessageBytes: 4 * KiB, baseDelayMs: 1 });
    const sent = items(100);
    // Act
    const { messages, requests } = await queue.send(sent);
    const received = (await drainQueue(client, url)).flatMap((b) => decodeMessage(b));
    // Assess
    expect(requests).toBe(Math.ceil(messages / 10) + 1);
    expect(received).toHaveLength(sent.length);
    expect(new Set(received.map((r) => r.transaction.transactionId)).size).toBe(sent.length);
  });

  it('gives up after maxAttempts and says what failed', async () => {
    // Prepare: every entry fails on the server side, every time.
    const client = emulatorClients().sqs;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName !== 'SendMessageBatchCommand') return next(args);
        const input = args.input as SendMessageBatchCommandInput;
        return {
          response: {},
          output: {
            $metadata: {},
            Successful: [],
            Failed: (input.Entries ?? []).map((e) => ({ Id: e.Id, Code: 'InternalError', SenderFault: false })),
          },
        };
      },
      { step: 'initialize', name: 'alwaysFail' },
    );
    const queue = new SqsTransactionQueue(client, 'http://unused.invalid/q', { maxAttempts: 3, baseDelayMs: 1 });
    // Act
    const error = await queue.send(items(5)).catch((e: unknown) => e);
    // Assess
    expect(error).toBeInstanceOf(SqsSendError);
    expect((error as SqsSendError).failures).toEqual([
      { index: 0, code: 'InternalError', message: '', senderFault: false },
    ]);
    expect((error as SqsSendError).sent).toBe(0);
  });

  it('does not retry what SQS refuses as the sender\'s fault (message over the queue limit)', async () => {
    // Prepare: the queue takes 1 KiB; the adapter is told 4 KiB.
    const url = await createQueue(sqs, uniqueName('tiny'), { MaximumMessageSize: '1024' });
    const queue = new SqsTransactionQueue(sqs, url, { maxMessageBytes: 4 * KiB, baseDelayMs: 1 });
    // Act
    const error = await queue.send(items(30)).catch((e: unknown) => e);
    // Assess
    expect(error).toBeInstanceOf(SqsSendError);
    expect((error as SqsSendError).failures.every((f) => f.senderFault)).toBe(true);
    expect((error as SqsSendError).message).toMatch(/SQS refused \d+ message/);
  });

  it('sends nothing for no items', async () => {
    const queue = new SqsTransactionQueue(sqs, 'http://unused.invalid/q');
    await expect(queue.send([])).resolves.toEqual({ messages: 0, requests: 0 });
  });
});

describe('packMessages', () => {
  it('keeps every body within the limit and the items in order', () => {
    // Prepare
    const sent = items(500);
    // Act
    const bodies = packMessages(sent, 4 * KiB);
    // Assess
    for (const b of bodies) expect(Buffer.byteLength(b)).toBeLessThanOrEqual(4 * KiB);
    expect(bodies.flatMap((b) => decodeMessage(b))).toEqual(sent);
  });

  it('escapes characters a queue refuses, and they decode back unchanged', () => {
    // Prepare
    const odd = items(1);
    (odd[0] as QueuedTransaction).transaction.merchant = `pizza 🍕 \uffff end`;
    // Act
    const [body] = packMessages(odd, 4 * KiB);
    // Assess
    expect(body).not.toMatch(/[\ud800-\udfff\ufffe\uffff]/);
    expect(decodeMessage(body as string)[0]?.transaction.merchant).toBe('pizza 🍕 \uffff end');
  });
});
