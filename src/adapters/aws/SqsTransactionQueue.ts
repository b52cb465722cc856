import type { SQSClient } from '@aws-sdk/client-sqs';
import { packMessages } from './queueMessages.js';
import type { QueuedTransaction, TransactionQueue } from '../../ports/TransactionQueue.js';
import { SQS_DEFAULT_MAX_BYTES, type SqsBatchOptions, sendMessageBodies } from './sqsBatch.js';

/** Options of {@link SqsTransactionQueue}. */
export interface SqsTransactionQueueOptions extends SqsBatchOptions {
  /**
   * Most bytes in one message body, matching the queue's `MaximumMessageSize` (SQS allows up to
   * 1 MiB). `maxBatchBytes` defaults to the larger of this and 256 KiB (SQS's batch payload
   * limit is the service's message limit, not the queue's). @default 256 KiB
   */
  maxMessageBytes?: number;
}

/**
 * The ingest → score hand-off on SQS. Transactions are packed many per message (the hand-off
 * format of `adapters/aws/queueMessages.ts`) up to the message size limit, and messages go out in
 * SendMessageBatch calls of up to 10 within the batch size limit, so 10,000 rows cost a handful
 * of requests rather than 10,000. Entries SQS fails on its side are retried with backoff.
 *
 * @example
 * ```ts
 * const queue = new SqsTransactionQueue(clients.sqs, process.env.TRANSACTIONS_QUEUE_URL!);
 * const { messages } = await queue.send(batch);
 * ```
 */
export class SqsTransactionQueue implements TransactionQueue {
  readonly queueUrl: string;
  private readonly sqs: SQSClient;
  private readonly maxMessageBytes: number;
  private readonly batch: SqsBatchOptions;

  constructor(sqs: SQSClient, queueUrl: string, options: SqsTransactionQueueOptions = {}) {
    this.sqs = sqs;
    this.queueUrl = queueUrl;
    this.maxMessageBytes = options.maxMessageBytes ?? SQS_DEFAULT_MAX_BYTES;
    this.batch = { ...options, maxBatchBytes: options.maxBatchBytes ?? Math.max(this.maxMessageBytes, SQS_DEFAULT_MAX_BYTES) };
  }

  /**
   * Packs and sends the items; resolves once SQS has accepted every message. Throws a
   * RangeError (before sending anything) when one item alone exceeds the message limit, and
   * `SqsSendError` when messages were still refused after retries.
   */
  async send(items: readonly QueuedTransaction[]): Promise<{ messages: number; requests: number }> {
    if (items.length === 0) return { messages: 0, requests: 0 };
    const bodies = packMessages(items, this.maxMessageBytes);
    const { requests } = await sendMessageBodies(this.sqs, this.queueUrl, bodies, this.batch);
    return { messages: bodies.length, requests };
  }
}
