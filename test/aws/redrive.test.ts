import {
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { createQueue, drainQueue, emulatorClients, uniqueName } from './clients.js';

/** Runs `fraudmini redrive` in process against fauxqs; returns the exit code and its output. */
async function redrive(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  try {
    const code = await main(['redrive', ...args, '--endpoint', inject('aws').fauxqs], {});
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

/** Messages on a queue, visible and in flight. */
async function depth(sqs: SQSClient, url: string): Promise<number> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return Number(Attributes.ApproximateNumberOfMessages ?? 0) + Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0);
}

/** A source queue whose messages go to a DLQ after two failed receives, as the deployed ones do after three. */
async function queuePair(sqs: SQSClient): Promise<{ source: string; dlq: string }> {
  const dlq = await createQueue(sqs, uniqueName('dlq'));
  const { Attributes = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq, AttributeNames: ['QueueArn'] }));
  const source = await createQueue(sqs, uniqueName('source'), {
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: Attributes.QueueArn, maxReceiveCount: 2 }),
  });
  return { source, dlq };
}

describe('fraudmini redrive on fauxqs', () => {
  let sqs: SQSClient;

  beforeAll(() => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'test');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'test');
    sqs = emulatorClients().sqs;
  });

  afterAll(() => {
    vi.unstubAllEnvs();
  });

  it('moves a poison message from the DLQ back to its source queue, attributes kept, and empties the DLQ', async () => {
    // Prepare: a consumer fails the message until SQS moves it to the DLQ
    const { source, dlq } = await queuePair(sqs);
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: source,
        MessageBody: '{"poison":true}',
        MessageAttributes: { kind: { DataType: 'String', StringValue: 'hand-off' } },
      }),
    );
    for (let i = 0; i < 5 && (await depth(sqs, dlq)) === 0; i++) {
      await sqs.send(new ReceiveMessageCommand({ QueueUrl: source, VisibilityTimeout: 0, WaitTimeSeconds: 0 }));
    }
    expect(await depth(sqs, dlq)).toBe(1);
    expect(await depth(sqs, source)).toBe(0);

    // Act
    const { code, stdout } = await redrive(['--from', dlq, '--to', source]);

    // Assess
    expect(code).toBe(0);
    expect(stdout).toContain('moved 1 messages');
    expect(await depth(sqs, dlq)).toBe(0);
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: source, MessageAttributeNames: ['All'], WaitTimeSeconds: 0 }),
    );
    expect(Messages.map((m) => m.Body)).toEqual(['{"poison":true}']);
    expect(Messages[0]?.MessageAttributes?.kind?.StringValue).toBe('hand-off');
  });

  it('moves at most --max messages and leaves the rest in the DLQ', async () => {
    // Prepare
    const { source, dlq } = await queuePair(sqs);
    for (let i = 0; i < 13; i++) await sqs.send(new SendMessageCommand({ QueueUrl: dlq, MessageBody: `m${i}` }));

    // Act
    const { code, stdout } = await redrive(['--from', dlq, '--to', source, '--max', '11']);

    // Assess: every message in exactly one of the two queues
    expect(code).toBe(0);
    expect(stdout).toContain('moved 11 messages');
    const back = await drainQueue(sqs, source);
    const left = await drainQueue(sqs, dlq);
    expect(back).toHaveLength(11);
    expect(left).toHaveLength(2);
    expect([...back, ...left].sort()).toEqual(Array.from({ length: 13 }, (_, i) => `m${i}`).sort());
  });

  it('refuses the same queue as source and target', async () => {
    const { dlq } = await queuePair(sqs);
    const { code, stderr } = await redrive(['--from', dlq, '--to', dlq]);
    expect(code).toBe(2);
    expect(stderr).toContain('--from and --to are the same queue');
  });
});
