import { PublishBatchCommand, type PublishBatchRequestEntry, type SNSClient } from '@aws-sdk/client-sns';
import type { Alert } from '../../core/views.js';
import { formatAlertEmail } from '../../core/alertText.js';
import type { AlertSink } from '../../ports/AlertSink.js';
import { backoff, sleep } from './sqsBatch.js';

/** SNS's caps per PublishBatch: 10 entries, 256 KiB summed over them. */
const SNS_BATCH_ENTRIES = 10;
const SNS_BATCH_BYTES = 256 * 1024;

/** Options of {@link SnsAlertSink}. */
export interface SnsAlertSinkOptions {
  /** Attempts per alert, first included, for entries SNS fails on its side. @default 5 */
  maxAttempts?: number;
  /** First retry delay, doubled each attempt, with jitter. @default 50 */
  baseDelayMs?: number;
}

/** Alerts SNS still refused after the retries (or at once, when the fault was ours). */
export class SnsPublishError extends Error {
  override readonly name = 'SnsPublishError';
  constructor(
    readonly topicArn: string,
    /** Each refused alert: its id, SNS's code and message. */
    readonly failures: { alertId: number; code: string; message: string; senderFault: boolean }[],
    /** Alerts published before giving up. */
    readonly published: number,
  ) {
    const first = failures[0];
    super(
      `SNS refused ${failures.length} alert(s) for ${topicArn}` +
        (first ? ` (first: alert ${first.alertId}, ${first.code}: ${first.message})` : '') +
        `; ${published} were published`,
    );
  }
}

/**
 * Alerts to an SNS topic, one notification per alert (sent 10 per PublishBatch), each an
 * email-ready subject and plain-text body from {@link formatAlertEmail}, with message attributes
 * `outcome` (String) and `score` (Number) for subscription filter policies (e.g. email only
 * `block`). Alerts carry the masked card only, and the body is masked again defensively.
 *
 * Delivery is at least once: subscribers may see an alert twice when a retry follows a lost
 * answer; the alert id is in every body.
 *
 * @example
 * ```ts
 * const sink = new SnsAlertSink(clients.sns, process.env.ALERTS_TOPIC_ARN!);
 * await sink.deliver(alerts);
 * ```
 */
export class SnsAlertSink implements AlertSink {
  readonly name = 'sns';
  readonly topicArn: string;
  private readonly sns: SNSClient;
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;

  constructor(sns: SNSClient, topicArn: string, options: SnsAlertSinkOptions = {}) {
    this.sns = sns;
    this.topicArn = topicArn;
    this.maxAttempts = options.maxAttempts ?? 5;
    this.baseDelayMs = options.baseDelayMs ?? 50;
  }

  /** Publishes the alerts; throws {@link SnsPublishError} when some were still refused. */
  async deliver(alerts: readonly Alert[]): Promise<void> {
    const entries = alerts.map((a, i) => toEntry(a, i));
    const failures: SnsPublishError['failures'] = [];
    let published = 0;
    for (const batch of batches(entries)) {
      let pending = batch;
      for (let attempt = 1; pending.length > 0; attempt++) {
        const out = await this.sns.send(
          new PublishBatchCommand({ TopicArn: this.topicArn, PublishBatchRequestEntries: pending }),
        );
        published += out.Successful?.length ?? 0;
        const retry: PublishBatchRequestEntry[] = [];
        for (const f of out.Failed ?? []) {
          const entry = entries[Number(f.Id)];
          const alert = alerts[Number(f.Id)];
          const failure = {
            alertId: alert?.id ?? -1,
            code: f.Code ?? 'Unknown',
            message: f.Message ?? '',
            senderFault: f.SenderFault === true,
          };
          if (failure.senderFault || attempt >= this.maxAttempts || !entry) failures.push(failure);
          else retry.push(entry);
        }
        pending = retry;
        if (pending.length > 0) await sleep(backoff(this.baseDelayMs, attempt));
      }
    }
    if (failures.length > 0) throw new SnsPublishError(this.topicArn, failures, published);
  }
}

function toEntry(alert: Alert, index: number): PublishBatchRequestEntry {
  const { subject, body } = formatAlertEmail(alert);
  return {
    // The index, so a failure names its alert.
    Id: String(index),
    Subject: subject,
    Message: body,
    MessageAttributes: {
      outcome: { DataType: 'String', StringValue: alert.outcome },
      score: { DataType: 'Number', StringValue: String(Math.round(alert.score * 10) / 10) },
    },
  };
}

/** Entry size as SNS counts it: message plus attributes. */
function entryBytes(e: PublishBatchRequestEntry): number {
  let n = Buffer.byteLength(e.Message ?? '', 'utf8');
  for (const [name, v] of Object.entries(e.MessageAttributes ?? {})) {
    n += Buffer.byteLength(name, 'utf8') + Buffer.byteLength(v.DataType ?? '', 'utf8');
    n += Buffer.byteLength(v.StringValue ?? '', 'utf8');
  }
  return n;
}

function* batches(entries: PublishBatchRequestEntry[]): Generator<PublishBatchRequestEntry[]> {
  let batch: PublishBatchRequestEntry[] = [];
  let bytes = 0;
  for (const e of entries) {
    const size = entryBytes(e);
    if (batch.length === SNS_BATCH_ENTRIES || (batch.length > 0 && bytes + size > SNS_BATCH_BYTES)) {
      yield batch;
      batch = [];
      bytes = 0;
    }
    batch.push(e);
    bytes += size;
  }
  if (batch.length > 0) yield batch;
}
