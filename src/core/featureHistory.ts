import type { FeatureWindows } from './features.js';
import type { Label, Transaction } from './transaction.js';

/** A label that became known after its transaction (a chargeback, a label posted through the API). */
export interface LaterLabel {
  /** The labelled transaction (at least its id, time and entity keys). */
  transaction: Transaction;
  label: Label;
  /** When the label became known, epoch ms. */
  knownAt: number;
}

/**
 * Stored history of some entities, to replay into fresh feature windows: their events (each
 * transaction once) and the labels learned later (each transaction's first one).
 */
export interface HistorySlice {
  events: Transaction[];
  labels: LaterLabel[];
}

/**
 * How far back before a batch its history must reach for `windows` to score it as one
 * long-lived store would: the longest window plus the lateness, plus the label delay when label
 * feedback is on.
 */
export function historyHorizonMs(windows: FeatureWindows): number {
  return windows.horizonMs + (windows.labels?.delayMs ?? 0);
}

/**
 * Replays a slice of history into `windows`: the later-known labels are scheduled at the time
 * they became known (a transaction labelled in its own data keeps that label: the local runtime
 * refuses a second one), then the events are observed in (time, id) order, each scheduling its
 * own label at its time plus the delay, as the local runtime does.
 *
 * @example
 * const windows = new FeatureWindows();
 * replayHistory(await history.load(batch, historyHorizonMs(windows)), windows);
 */
export function replayHistory(slice: HistorySlice, windows: FeatureWindows): void {
  if (windows.labels) {
    const ownLabel = new Set(slice.events.filter((tx) => tx.label !== undefined).map((tx) => tx.transactionId));
    for (const l of slice.labels) {
      if (ownLabel.has(l.transaction.transactionId)) continue;
      windows.labels.scheduleAt(l.transaction, l.label, l.knownAt);
    }
  }
  const events = [...slice.events].sort((a, b) =>
    a.timestamp !== b.timestamp
      ? a.timestamp - b.timestamp
      : a.transactionId < b.transactionId
        ? -1
        : a.transactionId > b.transactionId
          ? 1
          : 0,
  );
  for (const tx of events) windows.observe(tx);
}
