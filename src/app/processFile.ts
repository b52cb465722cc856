import { FileFormatError } from '../core/errors.js';
import type { Model } from '../core/model/model.js';
import { maskPansInText, type PanTokenizer } from '../core/pan.js';
import { printable } from '../core/printable.js';
import type { RuleSet } from '../core/rules.js';
import type { FieldMap } from '../core/schema.js';
import type { Alert } from '../core/views.js';
import type { FileLedger, FileRecord } from '../ports/FileLedger.js';
import type { Logger } from '../ports/Logger.js';
import { ObjectChangedError, type ObjectStore, type ReadEnd, UnreadableObjectError } from '../ports/ObjectStore.js';
import type { BatchCommitter } from '../ports/BatchCommitter.js';
import type { DecisionStore } from '../ports/DecisionStore.js';
import type { FeatureSource } from '../ports/FeatureSource.js';
import { type FileIngest, ingestHere } from '../pipeline/ingest.js';
import { maskedCsv, maskedText } from '../pipeline/maskedCopy.js';
import { buildReceipt, RECEIPT_REJECTION_LIMIT, type Receipt } from '../core/receipt.js';
import { resultKeys } from '../pipeline/resultKeys.js';
import { type BodyPart, BodyPipe } from '../pipeline/BodyPipe.js';
import { type BatchProgress, scoreBatches } from './scoreBatches.js';

/** What processing a file needs: ports, the scoring state, and hooks for alerts and progress. */
export interface FileProcessorDeps {
  objects: ObjectStore;
  /** Where the duplicate check looks for decisions already stored. */
  decisions: Pick<DecisionStore, 'findDecisions'>;
  ledger: FileLedger;
  /**
   * Commits each batch with the file's checkpoint: on the spot (`SqliteStateStore`), or on a
   * worker thread (`SqliteWorkerBatchCommitter`) so the next batch is scored while the last one
   * is written.
   */
  commits: BatchCommitter;
  features: FeatureSource;
  /** The rule set in force (read per batch, so a reload applies to the next batch). */
  rules: () => RuleSet;
  /** A trained model combined with the rules. */
  model?: Model;
  tokenizer: PanTokenizer;
  /**
   * Where the file is parsed, validated and tokenised, and its masked copy rendered.
   * @default on this thread, with `tokenizer` (`ingestHere`)
   */
  ingest?: FileIngest;
  fieldMap?: FieldMap;
  /** @default 5000 */
  batchSize?: number;
  /** Longest row, in characters: a longer one is rejected. @default DEFAULT_MAX_RECORD */
  maxRecord?: number;
  /**
   * A raw file whose last line has no line end may still be being written: that line is taken as
   * a row only once the file has not changed for this long. @default 0
   */
  settleMs?: number;
  /** Batches scored but not yet committed, at most (bounds memory when writing is the slower side). @default 2 */
  maxInFlight?: number;
  logger: Logger;
  onAlerts?: (alerts: Alert[]) => void;
  onProgress?: (file: FileRecord, progress: BatchProgress) => void;
  now?: () => Date;
}

/**
 * The name a file is known by once claimed: its inbox name, with anything that reads as a card
 * number masked (`batch_401288******1881.csv`). It is the one place a file name is masked: the
 * ledger, the work key in `processing/`, the names in `processed/` and `failed/`, receipts, log
 * lines and the transaction ids derived for rows without one all take the name from the ledger.
 * An ordinary name is kept as it is, so the ids derived from it do not change.
 * @example maskFileName(`batch_${pan}.csv`) // 'batch_' + the first 6 digits of `pan` + '******' + its last 4 + '.csv'
 */
export function maskFileName(name: string): string {
  return maskPansInText(name);
}

/**
 * Claims a file from the inbox: registers it in the ledger under its masked name (see
 * {@link maskFileName}), then moves it out of the inbox into `processing/`. The ledger entry
 * comes first so a crash between the two is found on restart ({@link claimedInboxKey}).
 */
export async function claimFile(
  inboxKey: string,
  deps: Pick<FileProcessorDeps, 'objects' | 'ledger'>,
): Promise<FileRecord> {
  const name = maskFileName(inboxKey.slice(inboxKey.lastIndexOf('/') + 1));
  const file = await deps.ledger.beginFile(name);
  await deps.objects.move(inboxKey, file.workKey);
  return file;
}

/** Times a file that keeps growing is read on before it fails. */
const MAX_READS = 20;

/** How to hand files over so that none of this happens. */
const WRITE_THEN_RENAME =
  'Write a file under a temporary name (x.csv.part, or a name starting with a dot) and rename it into the inbox once it is complete.';

/**
 * The inbox key of a file registered by {@link claimFile} that a crash left in the inbox, or
 * undefined when it is not there: the file of that name, or else the one whose masked name it is
 * (the ledger never knew the name with the card number in it).
 */
export async function claimedInboxKey(
  file: FileRecord,
  objects: Pick<ObjectStore, 'exists' | 'list'>,
): Promise<string | undefined> {
  const plain = `inbox/${file.name}`;
  if (await objects.exists(plain)) return plain;
  for (const key of await objects.list('inbox')) {
    if (maskFileName(key.slice(key.lastIndexOf('/') + 1)) === file.name) return key;
  }
  return undefined;
}

/**
 * Runs a claimed file to the end: every row decided or rejected, exactly once. Safe to call
 * again after a crash at any point: rows resume after the last committed checkpoint, and
 * finishing (masked copy, receipt, removal of the raw file) is idempotent. A raw file that grows
 * after it was read (a writer still appending) is read on from the last row stored, before and
 * up to the moment it is removed; one that was cut short, replaced, rewritten, or that grew after
 * a last line without a line end was taken as a row, fails with a receipt that says so.
 */
export async function processFile(file: FileRecord, deps: FileProcessorDeps): Promise<Receipt> {
  let current = file;
  // What the last read saw at the raw file's end (unknown when finishing after a restart).
  let read: ReadEnd | undefined;
  for (let reads = 0; ; ) {
    if (current.status === 'processing') {
      if (reads++ === MAX_READS) {
        return failFile(current, changed(current, `it kept growing (read ${MAX_READS} times)`), deps);
      }
      try {
        read = await ingestRows(current, deps);
      } catch (e) {
        if (e instanceof FileFormatError) return failFile(current, e.message, deps);
        if (e instanceof UnreadableObjectError) return failFile(current, unreadable(current, e), deps);
        if (e instanceof ObjectChangedError) return failFile(current, changed(current, e.reason), deps);
        throw e;
      }
      await deps.ledger.setStatus(current.id, 'finalizing', { rulesVersion: deps.rules().version });
      current = (await deps.ledger.getFile(current.id)) ?? current;
    }
    if (current.status !== 'finalizing') {
      throw new Error(`file ${current.name} (#${current.id}) is already ${current.status}`);
    }
    // Failing, and its results were not all written (a full disk, a crash): write them now.
    if (current.error !== undefined) return failFile(current, current.error, deps);
    const finished = await finishFile(current, deps, read);
    if (finished !== 'grew') return finished;
    // Rows were appended after the read: ingest again, skipping the rows already stored.
    await deps.ledger.setStatus(current.id, 'processing');
    current = (await deps.ledger.getFile(current.id)) ?? current;
  }
}

/**
 * Where the masked copy of a file is written while the file is ingested, beside the raw file.
 * `finishFile` moves it into `processed/`.
 */
export function maskedCopyKey(file: FileRecord): string {
  return `${file.workKey}.masked`;
}

/** Ingests a file's rows after its checkpoint; returns what the read saw at the end of the raw file. */
async function ingestRows(file: FileRecord, deps: FileProcessorDeps): Promise<ReadEnd | undefined> {
  // The masked copy is rendered from the records ingest parses: one read and one parse of the
  // file. It is rendered from the top of the file even when resuming after a crash (rows before
  // the checkpoint are parsed anyway, to count them), and the object store writes it whole or not
  // at all, so the copy never depends on how far the checkpoint had got: it holds every row of
  // the raw file, masked, once ingest has ended, and does not exist before.
  const masked = new BodyPipe();
  const written = deps.objects.write(maskedCopyKey(file), masked);
  written.catch((e: unknown) => masked.fail(e));
  // What the ingest rendered of the copy since the last batch went on.
  let rendered: BodyPart[] = [];
  const writeMasked = async (): Promise<void> => {
    const parts = rendered;
    rendered = [];
    for (const part of parts) await masked.write(part);
  };
  let end: ReadEnd | undefined;
  const source = deps.objects.read(file.workKey, { settleMs: deps.settleMs, onEnd: (e) => (end = e) });
  const batches = (deps.ingest ?? ingestHere(deps.tokenizer))(source, {
    fileKey: file.name,
    fieldMap: deps.fieldMap,
    batchSize: deps.batchSize,
    maxRecord: deps.maxRecord,
    skipRows: file.rowsDone,
    onMasked: (part) => {
      rendered.push(part);
    },
  });
  const commits = deps.commits;
  try {
    await scoreBatches({ id: file.id, name: file.name }, batches, {
      decided: async (ids) => {
        const stored = await deps.decisions.findDecisions(ids);
        // Decided in a batch still being committed: a duplicate too, though not in the store yet.
        // Asked after the store, in the same turn: a batch cannot leave one for the other unseen.
        const queued = commits.pendingIds(ids);
        return { has: (id: string) => stored.has(id) || queued.has(id) };
      },
      commits,
      features: deps.features,
      rules: deps.rules,
      model: deps.model,
      maxInFlight: deps.maxInFlight,
      now: deps.now,
      onCommitted: (progress, alerts) => {
        if (alerts.length > 0) deps.onAlerts?.(alerts);
        deps.onProgress?.(file, progress);
      },
      afterBatch: writeMasked,
    });
    await writeMasked();
    masked.end();
    await written;
    return end;
  } catch (e) {
    masked.fail(e);
    await written.catch(() => undefined);
    throw e;
  }
}

/**
 * Writes a file's results (receipt first, to claim the names, then the masked copy), removes the
 * raw file and marks the file done. Returns 'grew' instead when the raw file grew since `read`,
 * before the results are written or just before the raw file is removed.
 */
async function finishFile(file: FileRecord, deps: FileProcessorDeps, read?: ReadEnd): Promise<Receipt | 'grew'> {
  const before = await changeSince(read, file, deps.objects);
  if (before === 'grew') return 'grew';
  if (before !== undefined) return failFile(file, before, deps);
  const keys = await resultKeys(deps.objects, 'processed', file.name, String(file.id), (r) => r.file_id === file.id);
  const receipt = await fileReceipt(file, 'processed', deps);
  await deps.objects.write(keys.receipt, `${JSON.stringify({ ...receipt, file_id: file.id }, null, 2)}\n`);
  if (await deps.objects.exists(maskedCopyKey(file))) {
    await deps.objects.move(maskedCopyKey(file), keys.copy);
  } else if (await deps.objects.exists(file.workKey)) {
    // A crash after the copy was moved and before the raw file was deleted (or a file ingested
    // before copies were written during ingest): render the copy again from the raw file.
    await deps.objects.write(
      keys.copy,
      maskedCsv(deps.objects.read(file.workKey), {
        tokenizer: deps.tokenizer,
        fieldMap: deps.fieldMap,
        maxRecord: deps.maxRecord,
      }),
    );
  }
  const late = await changeSince(read, file, deps.objects);
  if (late === 'grew') return 'grew';
  if (late !== undefined) {
    // These results are this file's own: they describe what it no longer is.
    await deps.objects.delete(keys.copy);
    await deps.objects.delete(keys.receipt);
    return failFile(file, late, deps);
  }
  await deps.objects.delete(file.workKey);
  await deps.ledger.finishFile(file.id, receipt);
  return receipt;
}

/**
 * How the raw file changed since `read` ended: undefined when it did not (or nothing is known),
 * 'grew' when rows were appended after complete lines (read on), or why the file fails.
 */
async function changeSince(
  read: ReadEnd | undefined,
  file: FileRecord,
  objects: ObjectStore,
): Promise<'grew' | string | undefined> {
  if (!read || !objects.version) return undefined;
  const now = await objects.version(file.workKey);
  if (!now) return undefined;
  const was = read.version;
  if (now.identity !== was.identity) return changed(file, 'it was replaced by another file');
  if (now.size > was.size) {
    if (read.lineEnded) return 'grew';
    return changed(
      file,
      `it grew from ${was.size} to ${now.size} bytes after its last line, row ${file.counts.rows}, had been read without a line end and taken as complete, so that row may be cut short`,
    );
  }
  if (now.size < was.size) return changed(file, `it shrank from ${was.size} to ${now.size} bytes`);
  if (now.modifiedMs !== was.modifiedMs) return changed(file, 'it was written to again, in place');
  return undefined;
}

/**
 * Writes a failed file's results (receipt, masked copy of the raw file) to `failed/`, removes the
 * raw file and marks the file failed. Until the results are written the file stays unfinished
 * (finalizing, with its error), so a write that fails is done again on the next pass.
 */
async function failFile(file: FileRecord, error: string, deps: FileProcessorDeps): Promise<Receipt> {
  await deps.ledger.setStatus(file.id, 'finalizing', { error });
  const keys = await resultKeys(deps.objects, 'failed', file.name, String(file.id), (r) => r.file_id === file.id);
  const receipt = await fileReceipt(file, 'failed', deps, error);
  await deps.objects.write(keys.receipt, `${JSON.stringify({ ...receipt, file_id: file.id }, null, 2)}\n`);
  if (await deps.objects.exists(file.workKey)) {
    try {
      await deps.objects.write(keys.copy, maskedText(deps.objects.read(file.workKey)));
    } catch (e) {
      // Not a file the store reads (a link to a file elsewhere): the receipt says so, no copy.
      if (!(e instanceof UnreadableObjectError)) throw e;
    }
  }
  await deps.objects.delete(maskedCopyKey(file));
  await deps.objects.delete(file.workKey);
  await deps.ledger.finishFile(file.id, receipt);
  deps.logger.warn(printable(`file ${file.name} failed: ${error}`), { file: printable(file.name) });
  return receipt;
}

/** A receipt's reason for a raw file that changed while it was processed. */
function changed(file: FileRecord, reason: string): string {
  return `${file.name} changed while it was processed: ${reason}. Rows read before the change were decided (see the counts), none after it. ${WRITE_THEN_RENAME}`;
}

/** A receipt's reason for a raw file the store refused to read. */
function unreadable(file: FileRecord, e: UnreadableObjectError): string {
  return `${file.name}: ${e.reason}; only regular files are read, so nothing of it was`;
}

/** The receipt of a file as the ledger has it now. */
async function fileReceipt(
  file: FileRecord,
  status: Receipt['status'],
  deps: FileProcessorDeps,
  error?: string,
): Promise<Receipt> {
  const current = (await deps.ledger.getFile(file.id)) ?? file;
  return buildReceipt({
    file: file.name,
    status,
    error,
    startedAt: current.startedAt,
    finishedAt: (deps.now?.() ?? new Date()).toISOString(),
    rulesVersion: current.rulesVersion ?? null,
    counts: current.counts,
    rejections: await deps.ledger.rejections(file.id, RECEIPT_REJECTION_LIMIT),
  });
}
