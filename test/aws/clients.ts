import { inject } from 'vitest';
import { type AwsClients, createAwsClients } from '../../src/adapters/aws/clients.js';

/** Clients pointed at the emulators started by the global setup (`test/aws/emulators.ts`). */
export function emulatorClients(): AwsClients {
  const aws = inject('aws');
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
