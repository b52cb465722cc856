import type { SendMessageBatchCommandInput, SendMessageBatchCommandOutput, SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { backoff, SQS_BATCH_ENTRIES, SqsSendError, sendMessageBodies } from '../../src/adapters/aws/sqsBatch.js';
import { createQueue, drainQueue, emulatorClients, uniqueName } from './clients.js';

/**
 * An emulator client that records the entry ids of every SendMessageBatch, and makes SQS report
 * as failed (on its side, or the sender's) the entries `fail` picks on a given call.
 */
function recordingClient(fail: (call: number, id: string) => 'server' | 'sender' | 'bare' | undefined = () => undefined): {
  sqs: SQSClient;
  calls: string[][];
} {
  const sqs = emulatorClients().sqs;
  const calls: string[][] = [];
  sqs.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== 'SendMessageBatchCommand') return next(args);
      const input = args.input as SendMessageBatchCommandInput;
      const entries = input.Entries ?? [];
      const call = calls.push(entries.map((e) => e.Id ?? '')) - 1;
      const failed = entries.filter((e) => fail(call, e.Id ?? '') !== undefined);
      const rest = entries.filter((e) => fail(call, e.Id ?? '') === undefined);
      const result =
        rest.length > 0
          ? await next({ ...args, input: { ...input, Entries: rest } })
          : { response: {}, output: { $metadata: {} } };
      const output = result.output as SendMessageBatchCommandOutput;
      // As SQS does, an empty list is left out of the response.
      if (output.Successful?.length === 0) delete output.Successful;
      if (failed.length === 0) {
        delete output.Failed;
        return result;
      }
      // 'bare': a sender-fault entry with nothing but its id and the fault flag.
      output.Failed = failed.map((e) =>
        fail(call, e.Id ?? '') === 'bare'
          ? { Id: e.Id, SenderFault: true }
          : {
              Id: e.Id,
              Code: fail(call, e.Id ?? '') === 'sender' ? 'InvalidMessageContents' : 'InternalError',
              Message: `injected ${e.Id}`,
              SenderFault: fail(call, e.Id ?? '') === 'sender',
            },
      ) as SendMessageBatchCommandOutput['Failed'];
      return result;
    },
    { step: 'initialize', name: 'recordBatches' },
  );
  return { sqs, calls };
}

const body = (i: number, bytes: number): string => `${i}:`.padEnd(bytes, 'x');

describe('sendMessageBodies on fauxqs', () => {
  it('sends up to 10 entries per call, in order, each body once', async () => {
    // Prepare
    const { sqs, calls } = recordingClient();
    const url = await createQueue(sqs, uniqueName('batches'));
    const bodies = Array.from({ length: 25 }, (_, i) => body(i, 100));

    // Act
    const { requests } = await sendMessageBodies(sqs, url, bodies);

    // Assess
    expect(SQS_BATCH_ENTRIES).toBe(10);
    expect(requests).toBe(3);
    expect(calls.map((c) => c.length)).toEqual([10, 10, 5]);
    expect(calls.flat()).toEqual(bodies.map((_, i) => String(i)));
    expect((await drainQueue(sqs, url)).sort()).toEqual([...bodies].sort());
  });

  it('fills a call up to the byte limit exactly, and starts the next one past it', async () => {
    // Prepare: 1,000-byte bodies, 3,000 bytes a call: three fit exactly, a fourth does not
    const { sqs, calls } = recordingClient();
    const url = await createQueue(sqs, uniqueName('bytes'));
    const bodies = [...Array.from({ length: 7 }, (_, i) => body(i, 1000)), body(7, 3000)];

    // Act
    const { requests } = await sendMessageBodies(sqs, url, bodies, { maxBatchBytes: 3000 });

    // Assess: a body of exactly the limit goes alone
    expect(calls).toEqual([['0', '1', '2'], ['3', '4', '5'], ['6'], ['7']]);
    expect(requests).toBe(4);
    expect(await drainQueue(sqs, url)).toHaveLength(8);
  });

  it('counts bytes of UTF-8, not characters', async () => {
    // Prepare: 500 two-byte characters are 1,000 bytes
    const { sqs, calls } = recordingClient();
    const url = await createQueue(sqs, uniqueName('utf8'));

    // Act
    await sendMessageBodies(sqs, url, ['é'.repeat(500), 'é'.repeat(500), 'é'.repeat(500)], { maxBatchBytes: 2000 });

    // Assess
    expect(calls).toEqual([['0', '1'], ['2']]);
  });

  it('refuses a body over the byte limit before sending anything', async () => {
    // Prepare
    const { sqs, calls } = recordingClient();

    // Act / Assess
    await expect(
      sendMessageBodies(sqs, 'http://unused.invalid/q', [body(0, 10), body(1, 3001)], { maxBatchBytes: 3000 }),
    ).rejects.toThrow(new RangeError('message 1 is 3001 bytes, over the 3000-byte batch limit'));
    expect(calls).toEqual([]);
  });

  it('sends nothing for no bodies', async () => {
    const { sqs, calls } = recordingClient();
    await expect(sendMessageBodies(sqs, 'http://unused.invalid/q', [])).resolves.toEqual({ requests: 0 });
    expect(calls).toEqual([]);
  });

  it('resends only the entries SQS failed on its side, until they go', async () => {
    // Prepare: entry 3 fails on the first two calls of its batch, entry 12 on the first
    const { sqs, calls } = recordingClient((call, id) =>
      (id === '3' && (call === 0 || call === 1)) || (id === '12' && call === 3) ? 'server' : undefined,
    );
    const url = await createQueue(sqs, uniqueName('resend'));
    const bodies = Array.from({ length: 15 }, (_, i) => body(i, 50));

    // Act
    const { requests } = await sendMessageBodies(sqs, url, bodies, { baseDelayMs: 1 });

    // Assess
    expect(calls).toEqual([
      ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
      ['3'],
      ['3'],
      ['10', '11', '12', '13', '14'],
      ['12'],
    ]);
    expect(requests).toBe(5);
    expect((await drainQueue(sqs, url)).sort()).toEqual([...bodies].sort());
  });

  it('gives up on an entry after maxAttempts calls, and goes on with the rest', async () => {
    // Prepare: entry 1 always fails on SQS's side
    const { sqs, calls } = recordingClient((_call, id) => (id === '1' ? 'server' : undefined));
    const url = await createQueue(sqs, uniqueName('give-up'));
    const bodies = Array.from({ length: 12 }, (_, i) => body(i, 50));

    // Act
    const error = await sendMessageBodies(sqs, url, bodies, { maxAttempts: 3, baseDelayMs: 1 }).catch((e: unknown) => e);

    // Assess: three calls for entry 1, then the next batch still sent
    expect(calls.map((c) => c.join(','))).toEqual(['0,1,2,3,4,5,6,7,8,9', '1', '1', '10,11']);
    expect(error).toBeInstanceOf(SqsSendError);
    const e = error as SqsSendError;
    expect(e.name).toBe('SqsSendError');
    expect(e.queueUrl).toBe(url);
    expect(e.failures).toEqual([{ index: 1, code: 'InternalError', message: 'injected 1', senderFault: false }]);
    expect(e.sent).toBe(11);
    expect(e.message).toBe(`SQS refused 1 message(s) for ${url} (first: entry 1, InternalError: injected 1); 11 were sent`);
    expect(await drainQueue(sqs, url)).toHaveLength(11);
  });

  it('tries five times by default', async () => {
    // Prepare
    const { sqs, calls } = recordingClient((_call, id) => (id === '0' ? 'server' : undefined));
    const url = await createQueue(sqs, uniqueName('default-attempts'));

    // Act
    const error = await sendMessageBodies(sqs, url, [body(0, 10)], { baseDelayMs: 1 }).catch((e: unknown) => e);

    // Assess
    expect(calls).toHaveLength(5);
    expect((error as SqsSendError).failures).toHaveLength(1);
  });

  it("does not resend what SQS refuses as the sender's fault, and names every refusal", async () => {
    // Prepare
    const { sqs, calls } = recordingClient((_call, id) => (id === '0' || id === '2' ? 'sender' : undefined));
    const url = await createQueue(sqs, uniqueName('sender-fault'));

    // Act
    const error = await sendMessageBodies(sqs, url, [body(0, 10), body(1, 10), body(2, 10)], { baseDelayMs: 1 }).catch(
      (e: unknown) => e,
    );

    // Assess
    expect(calls).toEqual([['0', '1', '2']]);
    expect((error as SqsSendError).failures).toEqual([
      { index: 0, code: 'InvalidMessageContents', message: 'injected 0', senderFault: true },
      { index: 2, code: 'InvalidMessageContents', message: 'injected 2', senderFault: true },
    ]);
    expect((error as SqsSendError).message).toBe(
      `SQS refused 2 message(s) for ${url} (first: entry 0, InvalidMessageContents: injected 0); 1 were sent`,
    );
  });
});

describe('sendMessageBodies, a failure entry without a code or a message', () => {
  it('names the refusal with an unknown code and an empty message', async () => {
    // Prepare
    const { sqs } = recordingClient((_call, id) => (id === '1' ? 'bare' : undefined));
    const url = await createQueue(sqs, uniqueName('bare-failure'));

    // Act
    const error = await sendMessageBodies(sqs, url, [body(0, 10), body(1, 10)], { baseDelayMs: 1 }).catch((e: unknown) => e);

    // Assess
    expect((error as SqsSendError).failures).toEqual([{ index: 1, code: 'Unknown', message: '', senderFault: true }]);
  });
});

describe('SqsSendError', () => {
  it('reads well without failures or an SQS message', () => {
    expect(new SqsSendError('q', [], 4).message).toBe('SQS refused 0 message(s) for q; 4 were sent');
  });
});

describe('backoff', () => {
  it('draws up to base × 2^(attempt − 1), over the whole range', () => {
    // Prepare / Act: many draws for the third attempt with base 50: [0, 200)
    const draws = Array.from({ length: 2000 }, () => backoff(50, 3));

    // Assess: never beyond the cap, and spread over it (full jitter)
    expect(Math.max(...draws)).toBeLessThan(200);
    expect(Math.max(...draws)).toBeGreaterThan(150);
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(Math.min(...draws)).toBeLessThan(50);
  });
});
