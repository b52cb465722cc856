import { describe, expect, it } from 'vitest';
import type { DecidedItem } from '../../src/core/records.js';
import type { Decision } from '../../src/core/scoring.js';
import type { Label, Transaction } from '../../src/core/transaction.js';
import type { Alert } from '../../src/core/views.js';
import type { ReviewStore } from '../../src/ports/ReviewStore.js';
import { makeDecision, makeTx, T0 } from '../helpers/transactions.js';

/** A review store over fresh, empty state, and how the test fills that state. */
export interface ReviewStoreUnderTest {
  reviews: ReviewStore;
  /** Stores decided transactions as scoring does; returns the alerts raised. */
  store: (items: DecidedItem[]) => Promise<Alert[]>;
  /** Reports a label, as the label path does. */
  label: (transactionId: string, label: Label, knownAt: number) => Promise<void>;
}

const card = { masked: '411111******1111', bin: '411111', last4: '1111', token: 'tok-card-1' };

/**
 * Six transactions: four open alerts once labelled ones are left out (tx-3 arrived labelled,
 * tx-4 is labelled later), one allowed. Decided now, as a live deployment decides them.
 */
function sample(): DecidedItem[] {
  const decidedAt = new Date().toISOString();
  const row = (i: number, tx: Partial<Transaction>, d: Partial<Decision>): DecidedItem => ({
    transaction: makeTx({ transactionId: `tx-${i}`, timestamp: T0 + i * 60_000, ...tx }),
    decision: makeDecision({ transaction_id: `tx-${i}`, decided_at: decidedAt, ...d }),
  });
  const reason = (rule: string) => ({ rule, weight: 50, detail: `${rule} fired` });
  return [
    row(0, { accountId: 'acc-1', card }, { outcome: 'block', score: 90, reasons: [reason('high_value')] }),
    row(1, { accountId: 'acc-1' }, { outcome: 'allow', score: 5 }),
    row(2, { accountId: 'acc-2', card }, { outcome: 'review', score: 60, reasons: [reason('small_round')] }),
    row(3, { accountId: 'acc-1', label: 1 }, { outcome: 'review', score: 70, reasons: [reason('velocity')] }),
    row(4, { accountId: 'acc-3' }, { outcome: 'block', score: 95, reasons: [reason('velocity')] }),
    row(5, { accountId: 'acc-1' }, { outcome: 'review', score: 50, reasons: [reason('high_value')] }),
  ];
}

/**
 * The behaviour every {@link ReviewStore} promises: which alerts await review, in which order and
 * pages, with which filters; what an opened alert shows; the audit trail. `make` returns a new,
 * empty store on each call.
 *
 * @example
 * describeReviewStoreContract('SQLite', async () => { const state = …; return { reviews, store, label }; });
 */
export function describeReviewStoreContract(name: string, make: () => Promise<ReviewStoreUnderTest>): void {
  describe(`ReviewStore contract: ${name}`, () => {
    /** The store, filled with {@link sample}, and the alert id of each alerted transaction. */
    const filled = async () => {
      const t = await make();
      const alerts = await t.store(sample());
      await t.label('tx-4', 0, T0 + 3_600_000);
      const id = (tx: string): number => {
        const a = alerts.find((x) => x.transaction_id === tx);
        if (!a) throw new Error(`no alert for ${tx}`);
        return a.id;
      };
      return { ...t, id };
    };
    const txs = (alerts: Alert[]) => alerts.map((a) => a.transaction_id);

    it('lists open alerts newest first, by pages, and filters them by outcome, rule, score and account', async () => {
      // Prepare
      const { reviews } = await filled();

      // Act
      const all = await reviews.openAlerts({ order: 'newest', limit: 50 });
      const first = await reviews.openAlerts({ order: 'newest', limit: 2 });
      const second = await reviews.openAlerts({ order: 'newest', limit: 2, after: { id: first[1]?.id ?? 0 } });
      const review = await reviews.openAlerts({ order: 'newest', limit: 50, outcome: 'review' });
      const rule = await reviews.openAlerts({ order: 'newest', limit: 50, rule: 'high_value' });
      const scored = await reviews.openAlerts({ order: 'newest', limit: 50, minScore: 55, maxScore: 90 });
      const account = await reviews.openAlerts({ order: 'newest', limit: 50, account: 'acc-2' });

      // Assess
      expect(txs(all)).toEqual(['tx-5', 'tx-2', 'tx-0']);
      expect(all[0]).toMatchObject({ transaction_id: 'tx-5', outcome: 'review', score: 50, account_id: 'acc-1' });
      expect(txs(first)).toEqual(['tx-5', 'tx-2']);
      expect(txs(second)).toEqual(['tx-0']);
      expect(txs(review)).toEqual(['tx-5', 'tx-2']);
      expect(txs(rule)).toEqual(['tx-5', 'tx-0']);
      expect(txs(scored)).toEqual(['tx-2', 'tx-0']);
      expect(txs(account)).toEqual(['tx-2']);
    });

    it('lists open alerts riskiest first, resuming after a score and an id', async () => {
      // Prepare
      const { reviews, id } = await filled();

      // Act
      const all = await reviews.openAlerts({ order: 'riskiest', limit: 50 });
      const rest = await reviews.openAlerts({ order: 'riskiest', limit: 50, after: { score: 90, id: id('tx-0') } });

      // Assess
      expect(txs(all)).toEqual(['tx-0', 'tx-2', 'tx-5']);
      expect(txs(rest)).toEqual(['tx-2', 'tx-5']);
    });

    it('opens an alert with its transaction, decision, label, the account\'s alerted history and related open alerts', async () => {
      // Prepare
      const { reviews, id } = await filled();

      // Act
      const d = await reviews.alertDetail(id('tx-0'), 20);
      const labelled = await reviews.alertDetail(id('tx-4'), 0);
      const missing = await reviews.alertDetail(id('tx-5') + 1000, 20);

      // Assess
      expect(d?.alert).toMatchObject({ id: id('tx-0'), transaction_id: 'tx-0', card: card.masked });
      expect(d?.stored.transaction).toMatchObject({ transaction_id: 'tx-0', account_id: 'acc-1', card: { masked: card.masked } });
      expect(d?.stored.decision).toMatchObject({ outcome: 'block', score: 90 });
      expect(d?.label).toBeUndefined();
      // Every runtime lists the account's alerted transactions; SQLite lists its allowed ones too.
      const alerted = d?.history.filter((h) => h.transaction_id !== 'tx-1') ?? [];
      expect(alerted.map((h) => [h.transaction_id, h.outcome, h.label])).toEqual([
        ['tx-5', 'review', undefined],
        ['tx-3', 'review', 'fraud'],
        ['tx-0', 'block', undefined],
      ]);
      expect(d?.related.map((a) => a.transaction_id)).toEqual(['tx-5', 'tx-2']);
      expect(labelled?.label).toBe('legit');
      expect(labelled?.history).toEqual([]);
      expect(missing).toBeUndefined();
    });

    it('keeps the audit trail: newest first overall, oldest first on the alert, notes kept', async () => {
      // Prepare
      const { reviews, id } = await filled();
      const entry = (alert: string, at: string, note?: string) => ({
        at,
        user: 'ana',
        action: 'label' as const,
        alertId: id(alert),
        transactionId: alert,
        label: 'fraud' as const,
        result: 'recorded' as const,
        ...(note !== undefined ? { note } : {}),
      });

      // Act
      await reviews.recordReview(entry('tx-0', '2026-01-01T10:00:00.000Z', 'stolen card'));
      await reviews.recordReview(entry('tx-2', '2026-01-01T10:01:00.000Z'));
      await reviews.recordReview({ ...entry('tx-0', '2026-01-01T10:02:00.000Z'), result: 'unchanged' });
      const newest = await reviews.reviewAudit(2);
      const d = await reviews.alertDetail(id('tx-0'), 0);

      // Assess
      expect(newest.map((e) => [e.transactionId, e.at])).toEqual([
        ['tx-0', '2026-01-01T10:02:00.000Z'],
        ['tx-2', '2026-01-01T10:01:00.000Z'],
      ]);
      expect(d?.audit).toEqual([entry('tx-0', '2026-01-01T10:00:00.000Z', 'stolen card'), { ...entry('tx-0', '2026-01-01T10:02:00.000Z'), result: 'unchanged' }]);
    });

    it('gives the newest alert id, 0 before any', async () => {
      // Prepare
      const empty = await make();
      const { reviews, id } = await filled();

      // Act
      const none = await empty.reviews.latestAlertId();
      const latest = await reviews.latestAlertId();

      // Assess
      expect(none).toBe(0);
      expect(latest).toBe(id('tx-5'));
    });
  });
}
