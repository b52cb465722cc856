import type { Label } from '../core/transaction.js';

/** What recording a label did, with the label that stands. */
export interface PutLabelResult {
  status: 'recorded' | 'unchanged' | 'conflict';
  label: Label;
  knownAt: number;
}

/**
 * Known outcomes by transaction id: one label per transaction, never silently changed (the labels
 * table locally, the state table on AWS).
 *
 * @example
 * const r = await labels.putLabel('tx-1', 1, knownAt); // { status: 'recorded', label: 1, knownAt }
 */
export interface LabelStore {
  /**
   * Records `label` for `id`, known from `knownAt` (epoch ms), unless one is already recorded:
   * then `unchanged` (same label) or `conflict` (the other), with the recorded one.
   */
  putLabel(id: string, label: Label, knownAt: number): Promise<PutLabelResult>;
  /** The label recorded for `id` and when it became known, or undefined when none is recorded. */
  getLabel(id: string): Promise<{ label: Label; knownAt: number } | undefined>;
}
