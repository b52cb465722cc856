import type { Model } from '../core/model/model.js';
import type { RuleSet } from '../core/rules.js';
import type { Alert } from '../core/views.js';
import type { BatchCommitter, FileCheckpoint } from '../ports/BatchCommitter.js';
import type { FeatureSource } from '../ports/FeatureSource.js';
import type { IngestBatch } from '../pipeline/ingest.js';
import type { ModelMargins } from '../ports/ModelMargins.js';
import type { DecidedItem } from '../core/records.js';
import {
  type DecidedIds,
  decidePrepared,
  type Explain,
  type PreparedBatch,
  prepareBatch,
  type ScoredBatch,
  scoreBatch,
} from '../pipeline/score.js';

/** The file being scored, as its rows and checkpoints name it. */
export interface ScoredFile {
  /** The ledger's id of the file (0 where there is no ledger, as in `fraudmini score`). */
  id: number;
  /** The (masked) name rows are attributed to. */
  name: string;
}

/** How far a file has got once one of its batches is committed. */
export type BatchProgress = Pick<IngestBatch, 'rowsDone' | 'bytesRead'>;

/** What scoring a file's batches needs. */
export interface ScoreBatchesDeps {
  /**
   * The ids among `ids` decided before this batch: stored, or in a batch handed to the committer
   * and not yet stored. Asked once per batch, after every earlier batch went to the committer,
   * except one still waiting for its margins (see `margins`), whose ids the loop adds itself.
   */
  decided(ids: readonly string[]): Promise<DecidedIds> | DecidedIds;
  /** Where each scored batch goes with its checkpoint: SQLite, or a decisions file. */
  commits: BatchCommitter;
  features: FeatureSource;
  /** The rule set in force (read per batch, so a reload applies to the next batch). */
  rules: () => RuleSet;
  /** A trained model combined with the rules. */
  model?: Model;
  /**
   * Where the model's margins are computed, when not in the scoring loop itself: each batch's
   * margins are then computed there while the next batch is prepared (its features observed, its
   * rules evaluated), and decided when they come back. Not used with `explain: 'all'`, where the
   * attribution of every row gives its margin anyway.
   */
  margins?: ModelMargins;
  /** Which decisions name the model features behind their score. @default 'shown' (review and block) */
  explain?: Explain;
  /** Batches scored but not yet committed, at most (bounds memory when writing is the slower side). @default 2 */
  maxInFlight?: number;
  now?: () => Date;
  /**
   * Called once each batch is committed, with how far the file has got and the alerts it raised.
   * Only the progress is kept until then, not the batch: its rows die young.
   */
  onCommitted?: (progress: BatchProgress, alerts: Alert[]) => void;
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
  const itemsOf = (batch: IngestBatch): Omit<DecidedItem, 'decision'>[] =>
    batch.rows.map((r) => ({ transaction: r.transaction, source: { row: r.row.row, line: r.row.line, file: file.name } }));
  // Hands a batch to the committer with its checkpoint, at most `maxInFlight` unfinished.
  const handOver = async (batch: IngestBatch, duplicates: number, commit: (checkpoint: FileCheckpoint) => Promise<Alert[]>): Promise<void> => {
    const progress: BatchProgress = { rowsDone: batch.rowsDone, bytesRead: batch.bytesRead };
    const committed = commit({ fileId: file.id, rowsDone: batch.rowsDone, rejections: batch.rejections, duplicates })
      .then((alerts) => deps.onCommitted?.(progress, alerts))
      .catch((error: unknown) => {
        failure ??= { error };
      });
    inFlight.push(committed);
    await deps.afterBatch?.(batch);
    if (inFlight.length >= maxInFlight) await inFlight.shift();
  };
  const hand = (batch: IngestBatch, scored: ScoredBatch): Promise<void> =>
    handOver(batch, scored.duplicates.length, (checkpoint) => commits.commit(scored.decided, checkpoint));
  const model = deps.model;
  const elsewhere = model && deps.margins && deps.explain !== 'all' ? deps.margins : undefined;
  // A committer that decides as it commits takes each batch prepared: the model's margins, the
  // decisions and their attributions are then worked out on its side, and nothing comes back.
  const decidesItself = model && !elsewhere && deps.explain !== 'all' && commits.commitPrepared ? commits : undefined;
  // With margins computed elsewhere: the batch whose margins are on their way while the next one
  // is prepared, and the matrices that came back, for the next batches to reuse.
  let waiting: Waiting | undefined;
  const spare: Float64Array[] = [];
  const settle = async (w: Waiting): Promise<void> => {
    const { matrix, margins } = await w.answer;
    const scored = decidePrepared({ ...w.prepared, matrix }, margins, model as Model);
    spare.push(matrix);
    await hand(w.batch, scored);
  };
  try {
    for await (const batch of batches) {
      if (failure) break;
      const decided = await deps.decided(batch.rows.map((r) => r.transaction.transactionId));
      if (decidesItself) {
        const prepared = prepareBatch(itemsOf(batch), decided, { features: deps.features, rules: deps.rules(), model: model as Model, now: deps.now });
        await handOver(batch, prepared.duplicates.length, (checkpoint) =>
          (decidesItself.commitPrepared as NonNullable<BatchCommitter['commitPrepared']>).call(decidesItself, prepared, checkpoint),
        );
        continue;
      }
      if (!elsewhere) {
        const scored = scoreBatch(itemsOf(batch), decided, {
          features: deps.features,
          rules: deps.rules(),
          model,
          explain: deps.explain,
          now: deps.now,
        });
        await hand(batch, scored);
        continue;
      }
      const earlier = waiting;
      // The rows of the batch still waiting for its margins are decided as far as this one goes.
      const existing: DecidedIds = earlier ? eitherOf(decided, earlier.prepared.ids) : decided;
      const prepared = prepareBatch(itemsOf(batch), existing, { features: deps.features, rules: deps.rules(), model: model as Model, now: deps.now }, spare.pop());
      const answer = elsewhere.margins(prepared.matrix, prepared.fresh.length);
      // Awaited in turn below; until then a failure must not count as unhandled.
      answer.catch(() => undefined);
      waiting = { batch, prepared, answer };
      if (earlier) await settle(earlier);
    }
    if (waiting && !failure) {
      const last = waiting;
      waiting = undefined;
      await settle(last);
    }
  } finally {
    // Settles every batch in flight, whatever stopped the loop, before anything is raised.
    await Promise.all(inFlight);
  }
  if (failure) throw failure.error;
}

/** A prepared batch whose margins are being computed. */
interface Waiting {
  batch: IngestBatch;
  prepared: PreparedBatch;
  answer: Promise<{ matrix: Float64Array; margins: Float64Array }>;
}

/** Ids decided in `a` or in `b`. */
function eitherOf(a: DecidedIds, b: DecidedIds): DecidedIds {
  return { has: (id) => a.has(id) || b.has(id) };
}
