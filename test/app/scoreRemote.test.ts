import { describe, expect, it } from 'vitest';
import { compileRuleSet } from '../../src/core/rules.js';
import { scoreAndStore } from '../../src/app/scoreRemote.js';
import { InMemoryFeatureHistory } from '../fakes/InMemoryFeatureHistory.js';
import { InMemoryStateStore } from '../fakes/InMemoryStateStore.js';
import { RecordingAlertSink } from '../fakes/RecordingAlertSink.js';
import { makeTx, money, T0 } from '../helpers/transactions.js';

// Scoring on AWS when a batch is delivered again: a transaction decided by an earlier attempt is
// not decided twice, but its alert is sent again (the earlier attempt may have failed before
// sending it; the notifier publishes each alert once).

const RULES = compileRuleSet({
  version: 'score-remote',
  thresholds: { review: 50, block: 80 },
  rules: [{ id: 'big', when: 'amount >= 1000', weight: 60 }],
});

const queued = (id: string, amount: string) => ({
  transaction: makeTx({ transactionId: id, accountId: `acct-${id}`, amount: money(amount), timestamp: T0 }),
});

function deps() {
  return { decisions: new InMemoryStateStore(), history: new InMemoryFeatureHistory(), rules: RULES, alerts: new RecordingAlertSink() };
}

describe('scoreAndStore, a batch delivered again', () => {
  it('decides nothing twice and sends again the alerts of the suspicious ones only', async () => {
    // Prepare: one suspicious and one ordinary transaction, decided once
    const d = deps();
    const batch = [queued('R-BIG', '1500.00'), queued('R-SMALL', '10.00')];
    const first = await scoreAndStore(batch, d);

    // Act
    const again = await scoreAndStore(batch, d);

    // Assess
    expect(first.decided.map((x) => x.decision.transaction_id).sort()).toEqual(['R-BIG', 'R-SMALL']);
    expect(again.decided).toEqual([]);
    expect(again.duplicates.sort()).toEqual(['R-BIG', 'R-SMALL']);
    expect(d.alerts.delivered.map((a) => a.transaction_id)).toEqual(['R-BIG', 'R-BIG']);
  });

  it('sends nothing for a batch of ordinary transactions already decided', async () => {
    // Prepare
    const d = deps();
    const batch = [queued('R-A', '10.00'), queued('R-B', '20.00')];
    await scoreAndStore(batch, d);

    // Act
    await scoreAndStore(batch, d);

    // Assess
    expect(d.alerts.delivered).toEqual([]);
  });

  it('decides a transaction repeated within one batch once, and counts the repeat as a duplicate', async () => {
    // Prepare
    const d = deps();

    // Act
    const result = await scoreAndStore([queued('R-TWICE', '1500.00'), queued('R-TWICE', '1500.00')], d);

    // Assess
    expect(result.decided.map((x) => x.decision.transaction_id)).toEqual(['R-TWICE']);
    expect(result.duplicates).toEqual(['R-TWICE']);
    expect(d.alerts.delivered.map((a) => a.transaction_id)).toEqual(['R-TWICE']);
  });
});
