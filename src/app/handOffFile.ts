import { FileFormatError } from '../core/errors.js';
import { maskPansInText, type PanTokenizer } from '../core/pan.js';
import type { FieldMap } from '../core/schema.js';
import type { IngestCheckpoint, IngestCheckpoints } from '../ports/IngestCheckpoints.js';
import type { Logger } from '../ports/Logger.js';
import type { ObjectStore } from '../ports/ObjectStore.js';
import type { TransactionQueue } from '../ports/TransactionQueue.js';
import { ingestCsv } from '../pipeline/ingest.js';
import { maskedCsv, maskedText } from '../pipeline/maskedCopy.js';
import { resultKeys } from '../pipeline/resultKeys.js';
import {
  addIngested,
  buildReceipt,
  emptyIngestCounts,
  type HandOffReceipt,
  handOffCounts,
  keepRejections,
} from '../core/receipt.js';

/**
 * Rejections listed in a hand-off checkpoint and receipt. The checkpoint is one DynamoDB item
 * (400 KB at most), so the list is shorter than a local receipt's; the count is always exact.
 */
export const HANDOFF_REJECTION_LIMIT = 1000;

/** What handing a file off needs: where it is, where its outputs go, the queue, progress. */
export interface HandOffDeps {
  /** Where raw files arrive (`inbox/…`); the raw object is deleted once its outputs exist. */
  raw: ObjectStore;
  /** Where the masked copy and the receipt go (`processed/…` or `failed/…`). */
  refined: ObjectStore;
  queue: TransactionQueue;
  checkpoints: IngestCheckpoints;
  tokenizer: PanTokenizer;
  fieldMap?: FieldMap;
  /** Rows per queue hand-off (and per checkpoint). @default 2000 */
  batchSize?: number;
  /** Longest row, in characters: a longer one is rejected. @default DEFAULT_MAX_RECORD */
  maxRecord?: number;
  /** Run time left, in ms (a Lambda's `getRemainingTimeInMillis`). */
  remainingMs?: () => number;
  /** Stop with a checkpoint when less than this is left. @default 60000 */
  reserveMs?: number;
  logger: Logger;
  now?: () => Date;
}

/** What one call did. `paused`: time ran short; call again (a continuation) to resume. */
export type HandOffResult =
  | { status: 'processed' | 'failed'; receipt: HandOffReceipt; outputs: { copy: string; receipt: string } }
  | { status: 'paused'; checkpoint: IngestCheckpoint }
  | { status: 'gone' };

/**
 * The AWS ingest stage: streams a raw CSV, validates and tokenises it, hands transactions to the
 * scorer in batches, then writes the masked copy and the receipt and deletes the raw object.
 *
 * Safe to call again at any point (a redelivered S3 event, a retry after a crash, a continuation
 * after a pause): progress is checkpointed after every hand-off, rows resume after the last
 * checkpoint, and rows re-sent after a crash carry the same transaction ids, which the scorer
 * decides once. A file is identified by its key and ETag, so a new upload under the same name
 * is a new file.
 *
 * The key is masked (anything in it that reads as a card number, see `maskPansInText`) as soon as
 * it arrives: the checkpoint, the queued rows, the outputs, the receipt and the log lines only
 * know the masked one, and the ids derived for rows without one come from the masked name. The
 * raw key is used to read and delete the raw object, and nowhere else.
 */
export async function handOffFile(file: { key: string; etag: string }, deps: HandOffDeps): Promise<HandOffResult> {
  const now = deps.now ?? (() => new Date());
  const key = maskPansInText(file.key);
  const name = key.slice(key.lastIndexOf('/') + 1);
  let cp = await deps.checkpoints.get(key, file.etag);
  if (cp && cp.status !== 'ingesting') return finish(cp, file.key, deps, name);
  if (!cp) {
    if (!(await deps.raw.exists(file.key))) return { status: 'gone' };
    cp = {
      file: key,
      etag: file.etag,
      status: 'ingesting',
      rowsDone: 0,
      counts: emptyIngestCounts(),
      messages: 0,
      rejections: [],
      startedAt: now().toISOString(),
    };
    await deps.checkpoints.put(cp);
  }
  const reserve = deps.reserveMs ?? 60_000;
  // Pause only after progress: a run that starts short of time still moves the file forward.
  const startRows = cp.rowsDone;
  try {
    const batches = ingestCsv(deps.raw.read(file.key), {
      fileKey: name,
      tokenizer: deps.tokenizer,
      fieldMap: deps.fieldMap,
      batchSize: deps.batchSize ?? 2000,
      maxRecord: deps.maxRecord,
      skipRows: cp.rowsDone,
    });
    for await (const batch of batches) {
      if (batch.rows.length > 0) {
        const sent = await deps.queue.send(
          batch.rows.map((r) => ({ transaction: r.transaction, source: { ...r.row, file: name } })),
        );
        cp.messages += sent.messages;
      }
      cp.counts = addIngested(cp.counts, batch.rows.length, batch.rejections.length);
      cp.rejections = keepRejections(cp.rejections, batch.rejections, HANDOFF_REJECTION_LIMIT);
      cp.rowsDone = batch.rowsDone;
      await deps.checkpoints.put(cp);
      if (deps.remainingMs && cp.rowsDone > startRows && deps.remainingMs() < reserve) {
        deps.logger.info(`pausing ${key} after ${cp.rowsDone} rows: little time left`, { file: key });
        return { status: 'paused', checkpoint: cp };
      }
    }
    cp.status = 'processed';
  } catch (e) {
    if (!(e instanceof FileFormatError)) throw e;
    cp.status = 'failed';
    cp.error = e.message;
    deps.logger.warn(`file ${key} failed: ${e.message}`, { file: key });
  }
  await deps.checkpoints.put(cp);
  return finish(cp, file.key, deps, name);
}

/** Writes the outputs of a finished file (idempotent) and removes the raw object at `rawKey`. */
async function finish(
  cp: IngestCheckpoint,
  rawKey: string,
  deps: HandOffDeps,
  name: string,
): Promise<Extract<HandOffResult, { receipt: HandOffReceipt }>> {
  const status = cp.status === 'failed' ? 'failed' : 'processed';
  // Tagged with the ETag, and this upload's own when its receipt names the same ETag.
  const tag = cp.etag.replace(/[^0-9a-zA-Z]/g, '').slice(0, 12);
  const outputs = await resultKeys(deps.refined, status, name, tag, (r) => r.etag === cp.etag);
  const receipt = buildReceipt({
    file: name,
    etag: cp.etag,
    status,
    error: cp.error,
    startedAt: cp.startedAt,
    finishedAt: (deps.now?.() ?? new Date()).toISOString(),
    counts: handOffCounts(cp.counts, cp.messages),
    rejections: cp.rejections,
  });
  if (await deps.raw.exists(rawKey)) {
    // The receipt first: it claims the names, so a retry after a crash finds the same ones.
    await deps.refined.write(outputs.receipt, `${JSON.stringify(receipt, null, 2)}\n`);
    const body = deps.raw.read(rawKey);
    await deps.refined.write(
      outputs.copy,
      status === 'failed'
        ? maskedText(body, deps.maxRecord)
        : maskedCsv(body, { tokenizer: deps.tokenizer, fieldMap: deps.fieldMap, maxRecord: deps.maxRecord }),
    );
    await deps.raw.delete(rawKey);
  }
  return { status, receipt, outputs };
}
