/**
 * Record a label: the known outcome (fraud or legit) of a stored transaction, posted later by an
 * analyst or a chargeback feed. One semantics on every runtime:
 *
 * - The first label of a transaction wins. A transaction that arrived with a label (a `label`
 *   column) has that one, known at its time plus the label delay. Another label for it is
 *   `unchanged` when it agrees and a `conflict` when it does not: never a silent change.
 * - A new label becomes known at the pipeline's event time (the latest transaction time taken
 *   in), or at the transaction's own time when that is later: never at the wall clock, so label
 *   features mean the same on a replay and on the live stream.
 * - It is fed back to the transaction's entities (account, card, terminal, merchant) from then.
 */
import type { Label, Transaction } from '../core/transaction.js';
import type { EventClock } from '../ports/EventClock.js';

/** What recording a label did; `knownAt` is the time (epoch ms) the label in force is known from. */
export type LabelResult =
  | { status: 'recorded' | 'unchanged' | 'conflict'; label: Label; knownAt: number }
  | { status: 'not_found' };

/** The ports recording a label uses. */
export interface RecordLabelDeps {
  /** The stored transaction (its entity keys, time, and the label it arrived with), or undefined. */
  findTransaction(id: string): Promise<Transaction | undefined>;
  /** Stores the label unless one is stored: the first one wins, atomically. */
  putLabel(id: string, label: Label, knownAt: number): Promise<{ status: 'recorded' | 'unchanged' | 'conflict'; label: Label; knownAt: number }>;
  /** Feeds a recorded label back to the transaction's entities from `knownAt`. */
  feedBack(tx: Transaction, label: Label, knownAt: number): Promise<void>;
  clock: EventClock;
  /** How long after a transaction a label that arrived with it becomes known. */
  labelDelayMs: number;
}

/** Records `label` for the transaction `id` (see the module comment for the rules). */
export async function recordLabel(id: string, label: Label, deps: RecordLabelDeps): Promise<LabelResult> {
  const tx = await deps.findTransaction(id);
  if (!tx) return { status: 'not_found' };
  if (tx.label !== undefined) {
    return { status: tx.label === label ? 'unchanged' : 'conflict', label: tx.label, knownAt: tx.timestamp + deps.labelDelayMs };
  }
  const knownAt = Math.max(await deps.clock.latest(), tx.timestamp);
  const result = await deps.putLabel(id, label, knownAt);
  if (result.status === 'recorded') await deps.feedBack(tx, label, knownAt);
  return result;
}
