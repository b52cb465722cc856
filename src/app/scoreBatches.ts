import type { Model } from '../core/model/model.js';
import type { RuleSet } from '../core/rules.js';
import type { Alert } from '../core/views.js';
import type { BatchCommitter } from '../ports/BatchCommitter.js';
import type { FeatureSource } from '../ports/FeatureSource.js';
import type { IngestBatch } from '../pipeline/ingest.js';
import { type DecidedIds, type Explain, scoreBatch } from '../pipeline/score.js';

/** The file being scored, as its rows and checkpoints name it. */
export interface ScoredFile {
  /** The ledger's id of the file (0 where there is no ledger, as in `fraudmini score`). */
  id: number;
  /** The (masked) name rows are attributed to. */
  name: string;
}

/** What scoring a file's batches needs. */
export interface ScoreBatchesDeps {
  /**
   * The ids among `ids` decided before this batch: stored, or in a batch handed to the committer
   * and not yet stored. Asked once per batch, after every earlier batch went to the committer.
   */
  decided(ids: readonly string[]): Promise<DecidedIds> | DecidedIds;
  /** Where each scored batch goes with its checkpoint: SQLite, or a decisions file. */
  commits: BatchCommitter;
  features: FeatureSource;
  /** The rule set in force (read per batch, so a reload applies to the next batch). */
  rules: () => RuleSet;
  /** A trained model combined with the rules. */
  model?: Model;
  /** Which decisions name the model features behind their score. @default 'shown' (review and block) */
  explain?: Explain;
  /** Batches scored but not yet committed, at most (bounds memory when writing is the slower side). @default 2 */
  maxInFlight?: number;
  now?: () => Date;
  /** Called with each batch once it is committed, with the alerts it raised. */
  onCommitted?: (batch: IngestBatch, alerts: Alert[]) => void;
  /** Called after each batch is handed to the committer (the inbox writes the file's masked copy here). */
  afterBatch?: (batch: IngestBatch) => Promise<void>;
}

/**
 * The scoring loop of a file, the one both the inbox (`processFile`) and `fraudmini score` run:
 * for each ingested batch, look up the ids already decided, score the others (duplicates neither
 * touch the features nor get a second decision), and hand the decisions to the committer with
 * the file's checkpoint (rows done, rejections, duplicates), which counts them into the receipt.
 * The next batch is scored while the last is committed, at most `maxInFlight` ahead.
 *
 * The first failure stops the file: batches already queued behind it are refused by the
 * committer, so the checkpoint stays at the last batch stored. It is raised once every batch in
 * flight has settled.
 */
export async function scoreBatches(
  file: ScoredFile,
  batches: AsyncIterable<IngestBatch>,
  deps: ScoreBatchesDeps,
): Promise<void> {
  const commits = deps.commits;
  const maxInFlight = deps.maxInFlight ?? 2;
  const inFlight: Promise<void>[] = [];
  let failure: { error: unknown } | undefined;
  try {
    for await (const batch of batches) {
      if (failure) break;
      const decided = await deps.decided(batch.rows.map((r) => r.transaction.transactionId));
      const scored = scoreBatch(
        batch.rows.map((r) => ({
          transaction: r.transaction,
          source: { row: r.row.row, line: r.row.line, file: file.name },
        })),
        decided,
        { features: deps.features, rules: deps.rules(), model: deps.model, explain: deps.explain, now: deps.now },
      );
      const committed = commits
        .commit(scored.decided, {
          fileId: file.id,
          rowsDone: batch.rowsDone,
          rejections: batch.rejections,
          duplicates: scored.duplicates.length,
        })
        .then((alerts) => deps.onCommitted?.(batch, alerts))
        .catch((error: unknown) => {
          failure ??= { error };
        });
      inFlight.push(committed);
      await deps.afterBatch?.(batch);
      if (inFlight.length >= maxInFlight) await inFlight.shift();
    }
  } finally {
    // Settles every batch in flight, whatever stopped the loop, before anything is raised.
    await Promise.all(inFlight);
  }
  if (failure) throw failure.error;
}
