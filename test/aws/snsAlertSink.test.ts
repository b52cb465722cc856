import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { CreateTopicCommand, type PublishBatchCommandInput, type SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { beforeAll, describe, expect, it } from 'vitest';
import { SnsAlertSink, SnsPublishError } from '../../src/adapters/aws/SnsAlertSink.js';
import type { Alert } from '../../src/core/views.js';
import { makeAlert, SPACED_PAN, TEST_PAN } from '../helpers/alerts.js';
import { createQueue, drainQueue, emulatorClients, uniqueName } from './clients.js';

/** The standard SNS → SQS notification envelope, as far as these tests read it. */
interface Envelope {
  Type: string;
  TopicArn: string;
  Subject: string | null;
  Message: string;
  MessageAttributes: Record<string, { Type: string; Value: string }>;
}

async function subscribedQueue(sqs: SQSClient, sns: SNSClient, topicArn: string, filter?: object): Promise<string> {
  const url = await createQueue(sqs, uniqueName('alerts-sub'));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  await sns.send(
    new SubscribeCommand({
      TopicArn: topicArn,
      Protocol: 'sqs',
      Endpoint: Attributes?.QueueArn,
      ...(filter ? { Attributes: { FilterPolicy: JSON.stringify(filter) } } : {}),
    }),
  );
  return url;
}

describe('SnsAlertSink on fauxqs', () => {
  let sqs: SQSClient;
  let sns: SNSClient;
  let topicArn: string;

  beforeAll(async () => {
    ({ sqs, sns } = emulatorClients());
    const out = await sns.send(new CreateTopicCommand({ Name: uniqueName('alerts') }));
    topicArn = out.TopicArn ?? '';
  });

  it('publishes one email-ready notification per alert, with no PAN, to an SQS subscription', async () => {
    // Prepare
    const url = await subscribedQueue(sqs, sns, topicArn);
    const sink = new SnsAlertSink(sns, topicArn);
    // Act
    await sink.deliver([makeAlert()]);
    const [raw, ...more] = await drainQueue(sqs, url);
    // Assess
    expect(more).toEqual([]);
    const envelope = JSON.parse(raw ?? '{}') as Envelope;
    expect(envelope.Type).toBe('Notification');
    expect(envelope.TopicArn).toBe(topicArn);
    expect(envelope.Subject).toBe('fraudmini BLOCK: tx-123 score 97 (4,250.00 USD)');
    expect(envelope.Message).toContain('Transaction:  tx-123');
    expect(envelope.Message).toContain('Card:         411111******1111');
    expect(envelope.Message).toContain('blacklisted_merchant (weight 80, block): merchant note says card 411111******1111 was used');
    expect(envelope.MessageAttributes).toEqual({
      outcome: { Type: 'String', Value: 'block' },
      score: { Type: 'Number', Value: '97.3' },
    });
    expect(raw?.replace(/[ -]/g, '')).not.toContain(TEST_PAN);
    expect(raw).not.toContain(SPACED_PAN);
  });

  it('sends 23 alerts in batches of 10, each once, and filter policies see the outcome', async () => {
    // Prepare
    const all = await subscribedQueue(sqs, sns, topicArn);
    const blocksOnly = await subscribedQueue(sqs, sns, topicArn, { outcome: ['block'] });
    const highScores = await subscribedQueue(sqs, sns, topicArn, { score: [{ numeric: ['>=', 90] }] });
    const alerts: Alert[] = Array.from({ length: 23 }, (_, i) =>
      makeAlert({ id: i + 1, transaction_id: `tx-${i}`, outcome: i % 3 === 0 ? 'block' : 'review', score: 60 + i * 2 }),
    );
    const calls: number[] = [];
    const client = emulatorClients().sns;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'PublishBatchCommand') {
          calls.push((args.input as PublishBatchCommandInput).PublishBatchRequestEntries?.length ?? 0);
        }
        return next(args);
      },
      { step: 'initialize', name: 'countBatches' },
    );
    // Act
    await new SnsAlertSink(client, topicArn).deliver(alerts);
    const subjectsOf = async (url: string): Promise<string[]> =>
      (await drainQueue(sqs, url)).map((b) => (JSON.parse(b) as Envelope).Subject ?? '').sort();
    // Assess
    expect(calls).toEqual([10, 10, 3]);
    const subjects = await subjectsOf(all);
    expect(subjects).toHaveLength(23);
    expect(new Set(subjects).size).toBe(23);
    expect(await subjectsOf(blocksOnly)).toHaveLength(8);
    expect((await subjectsOf(blocksOnly)).every((s) => s.startsWith('fraudmini BLOCK:'))).toBe(true);
    expect(await subjectsOf(highScores)).toHaveLength(alerts.filter((a) => a.score >= 90).length);
  });

  it('throws naming the alert SNS refused', async () => {
    // Prepare: an alert whose body is over SNS's 256 KiB limit (fauxqs fails that entry).
    const sink = new SnsAlertSink(sns, topicArn, { baseDelayMs: 1 });
    const huge = makeAlert({ id: 7, reasons: [{ rule: 'r', weight: 1, detail: 'z'.repeat(300 * 1024) }] });
    // Act
    const error = await sink.deliver([makeAlert(), huge]).catch((e: unknown) => e);
    // Assess
    expect(error).toBeInstanceOf(SnsPublishError);
    expect((error as SnsPublishError).failures).toMatchObject([{ alertId: 7, senderFault: true }]);
    expect((error as SnsPublishError).published).toBe(1);
  });
});
