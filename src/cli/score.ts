import { createReadStream, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { DecisionFileWriter } from '../adapters/local/DecisionFileWriter.js';
import { ModelMarginsThread } from '../local/ModelMarginsThread.js';
import { ingestOnThread } from '../local/IngestThread.js';
import { scoreBatches } from '../app/scoreBatches.js';
import { FeatureWindows } from '../core/features.js';
import { LabelFeedback } from '../core/labels.js';
import type { Model } from '../core/model/model.js';
import { maskPansInText, type PanTokenizer } from '../core/pan.js';
import { buildReceipt, type Receipt } from '../core/receipt.js';
import type { RuleSet } from '../core/rules.js';
import type { FieldMap } from '../core/schema.js';
import { ingestCsv } from '../pipeline/ingest.js';
import type { Explain } from '../pipeline/score.js';
import { ProgressBar } from './progress.js';

/** Options of {@link scoreFile}. */
export interface ScoreFileOptions {
  input: string;
  out: string;
  rules: RuleSet;
  tokenizer: PanTokenizer;
  /**
   * The key of `tokenizer`, with how many cards it remembers: given, the file is read, parsed,
   * validated and tokenised on a second thread with a tokenizer of that key (the same tokens), and
   * this one only scores. Without it, everything runs on this thread.
   */
  parseThread?: { tokenKey: Uint8Array; tokenCache: number };
  fieldMap?: FieldMap;
  defaultCurrency?: string;
  /** Show a progress bar (on a TTY). @default true */
  progress?: boolean;
  /** A trained model to combine with the rules. */
  model?: Model;
  /** Longest row, in characters: a longer one is rejected. @default DEFAULT_MAX_RECORD */
  maxRecord?: number;
  /**
   * Feed the file's labels back into the features this long after each transaction (one
   * chronological pass reproduces what production would have seen). Off when undefined.
   */
  labelDelayMs?: number;
  /** Which decisions name the model features behind their score. @default 'shown' (review and block) */
  explain?: Explain;
  /**
   * Whether the model's margins are computed on a thread of their own (with a parsing thread).
   * @default on a machine with a core for it beside the three threads `score` runs already, for
   * an input of 8 MiB or more
   */
  marginsThread?: boolean;
}

/**
 * Rows per batch. A batch lives from its first row's parse to its write, so its rows outlive
 * young-generation GCs, which then copy and promote them: small batches die young. Scoring has no
 * per-batch cost that needs large batches here (each batch is one write).
 */
const BATCH_ROWS = 500;

/**
 * The smallest input whose model margins get a thread of their own: starting one costs about a
 * tenth of a second, the margins of a few tens of thousands of rows.
 */
const MARGINS_THREAD_MIN_BYTES = 8 << 20;

/** Rows the parsing thread hands over at a time (see `ingestOnThread`). */
const GROUP_ROWS = 4 * BATCH_ROWS;

/** Input read before the id table is sized for the whole file (the estimate needs a sample). */
const RESERVE_AFTER_BYTES = 16 << 20;

/**
 * Scores a CSV file offline with the file-scoring use case of the inbox (`scoreBatches`), writing
 * one decision per accepted row to `out` (JSON Lines or CSV, by extension) instead of SQLite.
 * Streams both ways: memory does not grow with the file.
 */
export async function scoreFile(options: ScoreFileOptions): Promise<Receipt> {
  const started = new Date();
  const size = statSync(options.input).size;
  const features = new FeatureWindows(
    options.labelDelayMs !== undefined ? { labels: new LabelFeedback({ delayMs: options.labelDelayMs }) } : {},
  );
  // With a model, the writer's thread decides each batch from its model vectors and rules (see
  // `commitPrepared`): the model's margins and the decisions leave the scoring thread, which
  // bounds the run, for the second core.
  const writer = new DecisionFileWriter(options.out, undefined, undefined, { model: options.model });
  let reserved = false;
  const bar = new ProgressBar({ total: size, label: 'scoring' });
  // The file as the decisions, the receipt and the ids derived for rows without one know it:
  // anything in its name that reads as a card number masked, as when it comes through the inbox.
  const name = maskPansInText(options.input.slice(options.input.lastIndexOf('/') + 1));
  const batches = options.parseThread
    ? ingestOnThread({
        path: options.input,
        fileKey: name,
        batchSize: BATCH_ROWS,
        groupRows: GROUP_ROWS,
        tokenKey: options.parseThread.tokenKey,
        tokenCache: options.parseThread.tokenCache,
        fieldMap: options.fieldMap,
        defaultCurrency: options.defaultCurrency,
        maxRecord: options.maxRecord,
        // A decisions file holds no extra columns and scoring reads none.
        attributes: false,
      })
    : ingestCsv(createReadStream(options.input, { highWaterMark: 1 << 20 }), {
        fileKey: name,
        batchSize: BATCH_ROWS,
        tokenizer: options.tokenizer,
        fieldMap: options.fieldMap,
        defaultCurrency: options.defaultCurrency,
        maxRecord: options.maxRecord,
        // A decisions file holds no extra columns and scoring reads none.
        attributes: false,
      });
  // With a parsing thread, the model's margins may get a thread too: the scoring thread prepares
  // each batch while the margins of the one before are computed on another core. Only where a
  // core is free for it: on two cores the parsing and decisions-file threads already keep the
  // second one busy, and the thread then costs CPU (its vectors are read on another core) and
  // memory for no time. Not for a small file either, which would wait longer for the thread to
  // start than for its margins.
  const wantThread = options.marginsThread ?? (availableParallelism() > 3 && size >= MARGINS_THREAD_MIN_BYTES);
  const margins =
    options.parseThread && options.model && options.explain !== 'all' && wantThread ? new ModelMarginsThread(options.model.flat) : undefined;
  try {
    await scoreBatches({ id: 0, name }, batches, {
      decided: () => writer.decided,
      commits: writer,
      features,
      rules: () => options.rules,
      model: options.model,
      margins,
      explain: options.explain,
      // Each batch is written before the next is scored: the id set is then complete.
      maxInFlight: 1,
      onCommitted: (progress) => {
        if (!reserved && progress.bytesRead >= RESERVE_AFTER_BYTES) {
          // Size the id table once for the whole file, from the rows per byte so far, instead of
          // rehashing it a dozen times as it fills (each rehash rereads every id seen).
          writer.decided.reserve(Math.ceil(((progress.rowsDone / progress.bytesRead) * size * 11) / 10));
          reserved = true;
        }
        if (options.progress !== false) bar.update(progress.bytesRead, writer.receiptCounts.rows);
      },
    });
    await writer.finish();
  } catch (e) {
    await writer.abort();
    throw e;
  } finally {
    bar.done();
    await margins?.close();
  }
  return buildReceipt({
    file: maskPansInText(options.input),
    status: 'processed',
    startedAt: started.toISOString(),
    finishedAt: new Date().toISOString(),
    rulesVersion: options.rules.version,
    counts: writer.receiptCounts,
    rejections: writer.rejections,
  });
}
