import { type BatchResultErrorEntry, SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';

/** SQS's cap on entries per SendMessageBatch. */
export const SQS_BATCH_ENTRIES = 10;

/** The classic SQS message size limit (and the default the adapters pack to). */
export const SQS_DEFAULT_MAX_BYTES = 256 * 1024;

/** How {@link sendMessageBodies} batches and retries. */
export interface SqsBatchOptions {
  /**
   * Most bytes in one SendMessageBatch, summed over its entries (SQS: the same as the queue's
   * message size limit). @default 256 KiB
   */
  maxBatchBytes?: number;
  /** Attempts per entry, first included, for entries SQS reports as failed on its side. @default 5 */
  maxAttempts?: number;
  /** First retry delay; doubled each attempt, with jitter. @default 50 */
  baseDelayMs?: number;
}

/** Entries SQS still refused after the retries (or at once, when the fault was ours). */
export class SqsSendError extends Error {
  override readonly name = 'SqsSendError';
  constructor(
    readonly queueUrl: string,
    /** Each refused entry: its index among the bodies sent, SQS's code and message. */
    readonly failures: { index: number; code: string; message: string; senderFault: boolean }[],
    /** Bodies SQS accepted before giving up (they are on the queue). */
    readonly sent: number,
  ) {
    const first = failures[0];
    super(
      `SQS refused ${failures.length} message(s) for ${queueUrl}` +
        (first ? ` (first: entry ${first.index}, ${first.code}: ${first.message})` : '') +
        `; ${sent} were sent`,
    );
  }
}

/**
 * Sends message bodies with as few SendMessageBatch calls as the limits allow (≤ 10 entries and
 * ≤ `maxBatchBytes` per call), in order. Entries SQS reports as failed on its side are retried
 * with exponential backoff; entries failed by the sender's fault (bad characters, too large) are
 * not, since resending cannot help. Throws {@link SqsSendError} naming what still failed.
 * Returns the number of SendMessageBatch calls made.
 */
export async function sendMessageBodies(
  sqs: SQSClient,
  queueUrl: string,
  bodies: readonly string[],
  options: SqsBatchOptions = {},
): Promise<{ requests: number }> {
  const maxBatchBytes = options.maxBatchBytes ?? SQS_DEFAULT_MAX_BYTES;
  const maxAttempts = options.maxAttempts ?? 5;
  const baseDelayMs = options.baseDelayMs ?? 50;
  let requests = 0;
  let sent = 0;
  const failures: SqsSendError['failures'] = [];
  for (const batch of batches(bodies, maxBatchBytes)) {
    let pending = batch;
    for (let attempt = 1; pending.length > 0; attempt++) {
      requests++;
      const out = await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          // Entry ids are the bodies' indexes, so a failure names its body.
          Entries: pending.map((index) => ({ Id: String(index), MessageBody: bodies[index] as string })),
        }),
      );
      sent += out.Successful?.length ?? 0;
      const failed: BatchResultErrorEntry[] = out.Failed ?? [];
      const retry: number[] = [];
      for (const f of failed) {
        const index = Number(f.Id);
        const failure = {
          index,
          code: f.Code ?? 'Unknown',
          message: f.Message ?? '',
          senderFault: f.SenderFault === true,
        };
        if (failure.senderFault || attempt >= maxAttempts) failures.push(failure);
        else retry.push(index);
      }
      pending = retry;
      if (pending.length > 0) await sleep(backoff(baseDelayMs, attempt));
    }
  }
  if (failures.length > 0) throw new SqsSendError(queueUrl, failures, sent);
  return { requests };
}

/** Groups body indexes into batches within both limits. */
function* batches(bodies: readonly string[], maxBatchBytes: number): Generator<number[]> {
  let batch: number[] = [];
  let bytes = 0;
  for (let i = 0; i < bodies.length; i++) {
    const size = Buffer.byteLength(bodies[i] as string, 'utf8');
    if (size > maxBatchBytes) {
      throw new RangeError(`message ${i} is ${size} bytes, over the ${maxBatchBytes}-byte batch limit`);
    }
    if (batch.length === SQS_BATCH_ENTRIES || bytes + size > maxBatchBytes) {
      yield batch;
      batch = [];
      bytes = 0;
    }
    batch.push(i);
    bytes += size;
  }
  if (batch.length > 0) yield batch;
}

/** Full-jitter exponential backoff: a random delay up to base × 2^(attempt−1). */
export function backoff(baseDelayMs: number, attempt: number): number {
  return Math.random() * baseDelayMs * 2 ** (attempt - 1);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
