import {
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SendMessageCommandInput,
  type SQSClient,
} from '@aws-sdk/client-sqs';

/** Options of {@link redriveMessages}. */
export interface RedriveOptions {
  sqs: SQSClient;
  /** The dead-letter queue's URL. */
  from: string;
  /** The queue the messages go back to (the DLQ's source queue). */
  to: string;
  /** Stop after this many messages. @default no limit */
  max?: number;
  /**
   * Seconds a received message stays hidden in the DLQ while it is being moved; one that could
   * not be sent shows again after it. @default 60
   */
  visibilityTimeout?: number;
  /** Called after each received batch with the counts so far. */
  onProgress?: (counts: RedriveCounts) => void;
}

/** What {@link redriveMessages} did. */
export interface RedriveCounts {
  /** Sent to the source queue and deleted from the DLQ. */
  moved: number;
  /** Could not be sent: left in the DLQ (visible again after the visibility timeout). */
  failed: number;
  /** Sent, but the delete from the DLQ failed: they will be moved (and delivered) again. */
  notDeleted: number;
  /** The first failure's reason, if any. */
  firstError?: string;
}

/**
 * Moves messages from a dead-letter queue back to its source queue: receive up to 10, send each
 * to the source queue with its body and message attributes, then delete from the DLQ only those
 * sent. A crash between the send and the delete leaves a message in both queues, so it may be
 * delivered twice: the consumers are idempotent (a transaction already decided is not decided or
 * alerted again, a file's checkpoint skips rows already handed off, an alert already published is
 * not published again). Stops at `max` or when a receive comes back empty; each message is seen
 * at most once per run (the ones it could not send stay hidden until the run is over).
 *
 * FIFO queues keep each message's group id; the deduplication id is the original one, or the
 * message id, so a repeated redrive within five minutes does not duplicate.
 *
 * @example
 * const counts = await redriveMessages({ sqs, from: dlqUrl, to: queueUrl });
 * // counts.moved: messages back on the source queue
 */
export async function redriveMessages(options: RedriveOptions): Promise<RedriveCounts> {
  const { sqs, from, to } = options;
  const max = options.max ?? Number.POSITIVE_INFINITY;
  const fifo = to.endsWith('.fifo');
  const counts: RedriveCounts = { moved: 0, failed: 0, notDeleted: 0 };
  const fail = (e: unknown, n: number, into: 'failed' | 'notDeleted'): void => {
    counts[into] += n;
    counts.firstError ??= reasonOf(e);
  };
  while (counts.moved + counts.failed + counts.notDeleted < max) {
    const want = Math.min(10, max - counts.moved - counts.failed - counts.notDeleted);
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: from,
        MaxNumberOfMessages: want,
        // Long polling asks every SQS server, so an empty answer means the queue is empty.
        WaitTimeSeconds: 1,
        VisibilityTimeout: options.visibilityTimeout ?? 60,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
      }),
    );
    if (Messages.length === 0) break;
    // One send per message: a batch send is capped at 256 KiB in all, and one message may be that.
    const sent = await Promise.all(
      Messages.map((m) =>
        sqs.send(new SendMessageCommand(sendInput(m, to, fifo))).then(
          () => m,
          (e: unknown) => {
            fail(e, 1, 'failed');
            return undefined;
          },
        ),
      ),
    );
    const toDelete = sent.filter((m): m is Message => m !== undefined);
    if (toDelete.length > 0) {
      try {
        const { Failed = [] } = await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: from,
            Entries: toDelete.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? '' })),
          }),
        );
        counts.moved += toDelete.length - Failed.length;
        if (Failed.length > 0) fail(new Error(Failed[0]?.Message ?? Failed[0]?.Code ?? 'delete failed'), Failed.length, 'notDeleted');
      } catch (e) {
        fail(e, toDelete.length, 'notDeleted');
      }
    }
    options.onProgress?.(counts);
  }
  return counts;
}

function sendInput(m: Message, to: string, fifo: boolean): SendMessageCommandInput {
  return {
    QueueUrl: to,
    MessageBody: m.Body ?? '',
    ...(m.MessageAttributes && Object.keys(m.MessageAttributes).length > 0 ? { MessageAttributes: m.MessageAttributes } : {}),
    ...(fifo
      ? {
          MessageGroupId: m.Attributes?.MessageGroupId ?? 'redrive',
          MessageDeduplicationId: m.Attributes?.MessageDeduplicationId ?? m.MessageId,
        }
      : {}),
  };
}

function reasonOf(e: unknown): string {
  const err = e as { name?: string; message?: string };
  return `${err.name && err.name !== 'Error' ? `${err.name}: ` : ''}${err.message ?? String(e)}`;
}
