import type { SQSClient } from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { SqsAlertQueue } from '../../src/adapters/aws/SqsAlertQueue.js';
import type { Alert } from '../../src/core/views.js';
import { decodeAlertMessage, packAlertMessages } from '../../src/adapters/aws/queueMessages.js';
import { makeAlert } from '../helpers/alerts.js';
import { createQueue, drainQueue, emulatorClients, uniqueName } from './clients.js';

describe('SqsAlertQueue on fauxqs', () => {
  let sqs: SQSClient;

  beforeAll(() => {
    sqs = emulatorClients().sqs;
  });

  it('sends 1,000 alerts packed many per message and each arrives once, decoded equal', async () => {
    // Prepare
    const url = await createQueue(sqs, uniqueName('suspicious'));
    const alerts: Alert[] = Array.from({ length: 1000 }, (_, i) => makeAlert({ id: i + 1, transaction_id: `tx-${i}` }));
    // Act
    await new SqsAlertQueue(sqs, url).deliver(alerts);
    const bodies = await drainQueue(sqs, url);
    // Assess
    expect(bodies.length).toBeLessThanOrEqual(3);
    const received = bodies.flatMap((b) => decodeAlertMessage(b)).sort((a, b) => a.id - b.id);
    expect(received).toEqual(alerts);
  });

  it('does nothing for no alerts', async () => {
    await expect(new SqsAlertQueue(sqs, 'http://unused.invalid/q').deliver([])).resolves.toBeUndefined();
  });
});

describe('decodeAlertMessage', () => {
  it('reads back what packAlertMessages wrote', () => {
    const alerts = [makeAlert({ id: 1 }), makeAlert({ id: 2, card: undefined })];
    const [body] = packAlertMessages(alerts, 256 * 1024);
    expect(body?.startsWith('{"v":1,"alerts":[')).toBe(true);
    expect(decodeAlertMessage(body as string)).toEqual(JSON.parse(JSON.stringify(alerts)));
  });

  it('names what is wrong with a poison message', () => {
    expect(() => decodeAlertMessage('nope')).toThrow(/alert message is not JSON/);
    expect(() => decodeAlertMessage('{"v":2,"alerts":[]}')).toThrow(/version 2 is not 1/);
    expect(() => decodeAlertMessage('{"v":1}')).toThrow(/no alerts array/);
    expect(() => decodeAlertMessage('{"v":1,"alerts":[{"id":1}]}')).toThrow(/item 0 is not an alert/);
  });
});
