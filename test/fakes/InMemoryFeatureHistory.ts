import type { HistorySlice, LaterLabel } from '../../src/core/featureHistory.js';
import { ENTITIES } from '../../src/core/features.js';
import type { Label, Transaction } from '../../src/core/transaction.js';
import type { FeatureHistory } from '../../src/ports/FeatureHistory.js';

/** The keys of the entities a transaction touches (`account#A1`, `card#tok`, ...). */
function entityKeys(tx: Transaction): string[] {
  const ids = { account: tx.accountId, card: tx.card?.token, terminal: tx.terminalId, merchant: tx.merchant };
  return ENTITIES.flatMap((e) => (ids[e] === undefined ? [] : [`${e}#${ids[e]}`]));
}

/**
 * A {@link FeatureHistory} in memory: events and later-known labels kept per entity, selected by
 * time the way the DynamoDB adapter's range queries select them (events by their time, labels by
 * the time they became known). Events are kept without their free-form attributes, as stored.
 *
 * @example
 * const history = new InMemoryFeatureHistory();
 * await history.append(batch);
 */
export class InMemoryFeatureHistory implements FeatureHistory {
  private readonly events = new Map<string, Map<string, Transaction>>();
  private readonly labels = new Map<string, LaterLabel[]>();

  async load(txs: readonly Transaction[], horizonMs: number): Promise<HistorySlice> {
    if (txs.length === 0) return { events: [], labels: [] };
    const own = new Set(txs.map((t) => t.transactionId));
    const from = Math.min(...txs.map((t) => t.timestamp)) - horizonMs;
    const to = Math.max(...txs.map((t) => t.timestamp));
    const events = new Map<string, Transaction>();
    const labels = new Map<string, LaterLabel>();
    for (const key of new Set(txs.flatMap(entityKeys))) {
      for (const tx of this.events.get(key)?.values() ?? []) {
        if (!own.has(tx.transactionId) && tx.timestamp >= from && tx.timestamp <= to) events.set(tx.transactionId, tx);
      }
      for (const l of this.labels.get(key) ?? []) {
        const id = l.transaction.transactionId;
        if (own.has(id) || l.knownAt < from || l.knownAt > to) continue;
        const prior = labels.get(id);
        if (!prior || l.knownAt < prior.knownAt) labels.set(id, l);
      }
    }
    return structuredClone({ events: [...events.values()], labels: [...labels.values()] });
  }

  async append(txs: readonly Transaction[]): Promise<void> {
    for (const tx of txs) {
      const stored: Transaction = { ...structuredClone(tx), attributes: {} };
      for (const key of entityKeys(tx)) {
        const m = this.events.get(key) ?? new Map<string, Transaction>();
        m.set(tx.transactionId, stored);
        this.events.set(key, m);
      }
    }
  }

  async label(tx: Transaction, label: Label, knownAt: number): Promise<void> {
    const entry: LaterLabel = { transaction: { ...structuredClone(tx), attributes: {} }, label, knownAt };
    for (const key of new Set(entityKeys(tx))) this.labels.set(key, [...(this.labels.get(key) ?? []), entry]);
  }
}
