import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { inject } from 'vitest';
import type { AwsEndpoints } from './emulators.js';
import { type AwsClients, createAwsClients } from '../../src/adapters/aws/clients.js';

/** Clients pointed at the emulators started by the global setup (`test/aws/emulators.ts`). */
export function emulatorClients(aws: AwsEndpoints = inject('aws')): AwsClients {
  return createAwsClients({
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    messagingEndpoint: aws.fauxqs,
    dynamodbEndpoint: aws.dynamodb,
    kinesisEndpoint: aws.kinesis,
  });
}

/** A unique name per test, so suites sharing the emulators never collide. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Creates a queue on the emulator and returns its URL. */
export async function createQueue(sqs: SQSClient, name: string, attributes: Record<string, string> = {}): Promise<string> {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  if (!QueueUrl) throw new Error(`CreateQueue ${name} returned no URL`);
  return QueueUrl;
}

/** Receives and deletes every message on a queue until a receive comes back empty; returns the bodies. */
export async function drainQueue(sqs: SQSClient, queueUrl: string): Promise<string[]> {
  const bodies: string[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    if (Messages.length === 0) return bodies;
    for (const m of Messages) bodies.push(m.Body ?? '');
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? '' })),
      }),
    );
  }
}
