import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Alert } from '../../core/views.js';
import { packAlertMessages } from './queueMessages.js';
import type { AlertSink } from '../../ports/AlertSink.js';
import { SQS_DEFAULT_MAX_BYTES, type SqsBatchOptions, sendMessageBodies } from './sqsBatch.js';

/** The reader of this queue's messages (defined with the format in `adapters/aws/queueMessages.ts`). */
export { decodeAlertMessage } from './queueMessages.js';

/** Options of {@link SqsAlertQueue}. */
export interface SqsAlertQueueOptions extends SqsBatchOptions {
  /** Most bytes in one message body (the queue's `MaximumMessageSize`). @default 256 KiB */
  maxMessageBytes?: number;
}

/**
 * Alerts onto the suspicious-transactions queue, many per message as `{"v":1,"alerts":[...]}`
 * (read back with `decodeAlertMessage` from `adapters/aws/queueMessages.ts`); the `notify` handler turns
 * them into SNS emails. Alerts hold ids, reasons and the masked card only.
 *
 * @example
 * ```ts
 * const sink = new SqsAlertQueue(clients.sqs, process.env.SUSPICIOUS_QUEUE_URL!);
 * await sink.deliver(alerts);
 * ```
 */
export class SqsAlertQueue implements AlertSink {
  readonly name = 'sqs';
  readonly queueUrl: string;
  private readonly sqs: SQSClient;
  private readonly maxMessageBytes: number;
  private readonly batch: SqsBatchOptions;

  constructor(sqs: SQSClient, queueUrl: string, options: SqsAlertQueueOptions = {}) {
    this.sqs = sqs;
    this.queueUrl = queueUrl;
    this.maxMessageBytes = options.maxMessageBytes ?? SQS_DEFAULT_MAX_BYTES;
    this.batch = { ...options, maxBatchBytes: options.maxBatchBytes ?? Math.max(this.maxMessageBytes, SQS_DEFAULT_MAX_BYTES) };
  }

  /** Sends the alerts; throws `SqsSendError` when some were still refused after retries. */
  async deliver(alerts: readonly Alert[]): Promise<void> {
    if (alerts.length === 0) return;
    await sendMessageBodies(this.sqs, this.queueUrl, packAlertMessages(alerts, this.maxMessageBytes), this.batch);
  }
}
