import type { Rejection } from '../core/receipt.js';
import type { DecidedItem } from '../core/records.js';
import type { RuleHit, RuleSet } from '../core/rules.js';
import type { Decision } from '../core/scoring.js';
import type { Alert } from '../core/views.js';

/** Progress of one file, committed atomically with the rows it covers. */
export interface FileCheckpoint {
  fileId: number;
  /** Data rows fully handled (decided, duplicate or rejected), from the top of the file. */
  rowsDone: number;
  rejections: Rejection[];
  duplicates: number;
}

/**
 * A batch scored up to its model margins: features observed, rules evaluated, model vectors
 * written (`prepareBatch`). Deciding it needs only this and the model: see
 * {@link BatchCommitter.commitPrepared}.
 */
export interface PreparedRows {
  /** The batch less its duplicates, in order. */
  readonly fresh: readonly Omit<DecidedItem, 'decision'>[];
  readonly duplicates: readonly string[];
  /** The rules each row of `fresh` fired. */
  readonly hits: readonly RuleHit[][];
  /** The model vector of each row of `fresh`, `FEATURE_COUNT` numbers each (more rows may follow). */
  readonly matrix: Float64Array;
  /** The rule set's thresholds and version. */
  readonly rules: Pick<RuleSet, 'thresholds' | 'version'>;
  /** The decision time, ISO 8601. */
  readonly at: string;
}

/**
 * Commits a file's batches, each atomically with its checkpoint: the decisions of a batch, their
 * alerts, the file's counts and rejections land together or not at all, so a crash resumes after
 * the last batch stored (SQLite only: DynamoDB has no such transaction). The caller checked the
 * ids first: a batch holding an id already stored fails whole. Batches commit in the order
 * given; once one of a file's batches fails, those queued behind it fail too, uncommitted, so a
 * checkpoint never moves past a batch that is not stored.
 *
 * @example
 * const alerts = await commits.commit(scored.decided, { fileId, rowsDone, rejections, duplicates });
 */
export interface BatchCommitter {
  /** Queues a batch (and its file checkpoint); resolves with the alerts it created once it is committed. */
  commit(items: readonly DecidedItem[], checkpoint?: FileCheckpoint): Promise<Alert[]>;
  /**
   * Where offered: queues a batch not yet decided, to be decided with the committer's model as it
   * is committed (`decisionWithMargin`, the decisions `commit` would be given), so the thread that
   * scores never waits for the model's margins. The committer then owns `rows.matrix`.
   */
  commitPrepared?(rows: PreparedRows, checkpoint?: FileCheckpoint): Promise<Alert[]>;
  /**
   * The decision of a transaction in a batch queued but not committed yet (decided, not yet
   * visible in the store), settling when that batch is committed or fails.
   */
  pending(id: string): Promise<Decision> | undefined;
  /**
   * The ids among `ids` that {@link pending} knows, in one call: what a file's duplicate check
   * asks of every batch, which a committer can answer without a look at each id.
   */
  pendingIds(ids: readonly string[]): ReadonlySet<string>;
}
