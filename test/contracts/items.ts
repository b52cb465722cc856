import type { DecidedItem } from '../../src/core/records.js';
import type { Outcome } from '../../src/core/scoring.js';
import { makeDecision, makeTx } from '../helpers/transactions.js';

/**
 * A decided transaction for the contract suites: decided `decidedAt` (epoch ms, default now, so a
 * store that reads alerts by recent day finds it), with a tokenised card and a file source.
 */
export function decided(id: string, outcome: Outcome, decidedAt = Date.now()): DecidedItem {
  const transaction = makeTx({
    transactionId: id,
    timestamp: decidedAt - 60_000,
    accountId: `acc-${id}`,
    card: { token: `tok-${id}`, masked: '411111******1111', bin: '411111', last4: '1111' },
  });
  const decision = makeDecision({
    transaction_id: id,
    outcome,
    score: outcome === 'allow' ? 5 : outcome === 'review' ? 55 : 91,
    reasons: outcome === 'allow' ? [] : [{ rule: 'high_value', weight: 50, detail: 'amount 12,000.00 > 10,000' }],
    decided_at: new Date(decidedAt).toISOString(),
  });
  return { transaction, decision, source: { file: 'a.csv', row: 1, line: 2 } };
}

/** `n` decided transactions `<prefix>-0000`…, outcomes cycling allow, review, block, allow. */
export function batch(prefix: string, n: number, decidedAt = Date.now()): DecidedItem[] {
  const outcomes: Outcome[] = ['allow', 'review', 'block', 'allow'];
  return Array.from({ length: n }, (_, i) =>
    decided(`${prefix}-${String(i).padStart(4, '0')}`, outcomes[i % 4] as Outcome, decidedAt),
  );
}

/** A prefix no other test in the run uses, for stores shared between tests (the emulators). */
export function uniquePrefix(name: string): string {
  return `${name}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
