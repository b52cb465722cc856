import { describe, expect, it } from 'vitest';
import { groupCommit, type GroupCommitDeps } from '../../src/app/submitTransaction.js';
import { compileRuleSet } from '../../src/core/rules.js';
import type { Decision } from '../../src/core/scoring.js';
import type { DecidedItem } from '../../src/core/records.js';
import { FixedFeatureSource } from '../fakes/FixedFeatureSource.js';
import { InMemoryStateStore } from '../fakes/InMemoryStateStore.js';
import { makeDecision, makeTx, money } from '../helpers/transactions.js';

const RULES = compileRuleSet({ version: 'r1', rules: [{ id: 'big', when: 'amount > 1000', weight: 60 }] });

/** A group commit over in-memory ports; `stores` counts the store calls, `failed` the reported failures. */
function setUp(overrides: Partial<GroupCommitDeps> = {}) {
  const decisions = new InMemoryStateStore();
  const features = new FixedFeatureSource();
  const failed: unknown[] = [];
  let stores = 0;
  const counting = Object.assign(Object.create(decisions) as InMemoryStateStore, {
    storeDecisions: (items: readonly DecidedItem[]) => {
      stores += 1;
      return decisions.storeDecisions(items);
    },
  });
  const deps: GroupCommitDeps = {
    decisions: counting,
    features,
    rules: () => RULES,
    onCommitFailed: (e) => failed.push(e),
    ...overrides,
  };
  return { deps, decisions, features, failed, stores: () => stores };
}

describe('groupCommit', () => {
  it('scores the submissions of one turn together, in arrival order, with one store, and answers each', async () => {
    // Prepare
    const { deps, decisions, features, stores } = setUp();
    const gc = groupCommit(deps);
    const txs = ['G1', 'G2', 'G3'].map((id, i) => makeTx({ transactionId: id, amount: money(i === 1 ? '5000.00' : '10.00') }));

    // Act
    const answers = await Promise.all(txs.map((tx) => gc.submit(tx)));

    // Assess
    expect(stores()).toBe(1);
    expect(features.observed.map((t) => t.transactionId)).toEqual(['G1', 'G2', 'G3']);
    expect(answers.map((a) => [a.decision.transaction_id, a.decision.outcome, a.duplicate])).toEqual([
      ['G1', 'allow', false],
      ['G2', 'review', false],
      ['G3', 'allow', false],
    ]);
    expect([...(await decisions.findDecisions(['G1', 'G2', 'G3'])).keys()]).toEqual(['G1', 'G2', 'G3']);
  });

  it('answers a repeated id with the first decision, as a duplicate, without scoring it twice', async () => {
    // Prepare
    const { deps, features } = setUp();
    const gc = groupCommit(deps);
    const tx = makeTx({ transactionId: 'D1' });

    // Act: twice in one turn, then once more later
    const [first, second] = await Promise.all([gc.submit(tx), gc.submit(tx)]);
    const third = await gc.submit(tx);

    // Assess
    expect(first.duplicate).toBe(false);
    expect(second).toEqual({ decision: first.decision, duplicate: true });
    expect(third).toEqual({ decision: first.decision, duplicate: true });
    expect(features.observed).toHaveLength(1);
  });

  it('answers an id a file batch is committing with that decision, once committed', async () => {
    // Prepare
    const elsewhere: Decision = makeDecision({ transaction_id: 'F1', outcome: 'block', score: 95 });
    const { deps, features } = setUp({ committing: (id) => (id === 'F1' ? Promise.resolve(elsewhere) : undefined) });
    const gc = groupCommit(deps);

    // Act
    const answer = await gc.submit(makeTx({ transactionId: 'F1' }));

    // Assess
    expect(answer).toEqual({ decision: elsewhere, duplicate: true });
    expect(features.observed).toEqual([]);
  });

  it('fails every submission of a group whose store fails, reports it once, and lets the next group through', async () => {
    // Prepare
    const { deps, decisions, failed } = setUp();
    let failNext = true;
    const store = deps.decisions.storeDecisions.bind(deps.decisions);
    deps.decisions.storeDecisions = (items) => {
      if (failNext) {
        failNext = false;
        return Promise.reject(new Error('disk I/O error'));
      }
      return store(items);
    };
    const gc = groupCommit(deps);

    // Act
    const group = await Promise.allSettled([gc.submit(makeTx({ transactionId: 'X1' })), gc.submit(makeTx({ transactionId: 'X2' }))]);
    const after = await gc.submit(makeTx({ transactionId: 'X3' }));

    // Assess
    expect(group.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(failed).toHaveLength(1);
    expect(after.duplicate).toBe(false);
    expect([...(await decisions.findDecisions(['X1', 'X2', 'X3'])).keys()]).toEqual(['X3']);
  });
});
