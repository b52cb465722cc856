import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ENTITIES, type Entity, entityFeatures, FeatureWindows, featureValue, hasEntity } from '../../src/core/features.js';
import type { Transaction } from '../../src/core/transaction.js';
import { type EntityFeatures, WINDOW_MS } from '../../src/core/windows.js';
import { makeTx } from '../helpers/transactions.js';
import { featureMismatch, type RefEvent, referenceFeatures, squareScale } from './windowsReference.js';

const T = Date.UTC(2024, 0, 1);
const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

/** The entity ids a transaction touches, by kind. */
function entitiesOf(tx: Transaction): [Entity, string][] {
  const out: [Entity, string][] = [['account', tx.accountId]];
  if (tx.card) out.push(['card', tx.card.token]);
  if (tx.terminalId !== undefined) out.push(['terminal', tx.terminalId]);
  if (tx.merchant !== undefined) out.push(['merchant', tx.merchant]);
  return out;
}

/**
 * Feeds transactions to a store and checks every returned feature set against the brute-force
 * reference, per entity. Returns the first mismatch, or undefined.
 */
function checkAgainstReference(store: FeatureWindows, txs: Iterable<Transaction>): string | undefined {
  const histories = new Map<string, RefEvent[]>();
  let n = 0;
  for (const tx of txs) {
    const features = store.observe(tx);
    for (const [kind, id] of entitiesOf(tx)) {
      const key = `${kind}:${id}`;
      const history = histories.get(key) ?? [];
      histories.set(key, history);
      history.push({ timestamp: tx.timestamp, amount: tx.amount, country: tx.country });
      const actual: EntityFeatures | undefined = entityFeatures(features, kind);
      if (!actual) return `tx ${n}: no ${kind} features`;
      const problem = featureMismatch(actual, referenceFeatures(history, history.length - 1), squareScale(history));
      if (problem) return `tx ${n} (${tx.transactionId}) ${key} at +${tx.timestamp - T}ms: ${problem}`;
    }
    n++;
  }
  return undefined;
}

describe('FeatureWindows', () => {
  it('keeps features per account, card, terminal and merchant', () => {
    // Prepare
    const store = new FeatureWindows();
    store.observe(makeTx({ timestamp: T, accountId: 'a1', card: { token: 'c1', masked: 'x' }, merchant: 'm1' }));
    store.observe(makeTx({ timestamp: T + 1, accountId: 'a2', card: { token: 'c1', masked: 'x' }, terminalId: 't1' }));

    // Act
    const f = store.observe(
      makeTx({
        timestamp: T + 2,
        accountId: 'a1',
        card: { token: 'c1', masked: 'x' },
        terminalId: 't1',
        merchant: 'm2',
      }),
    );

    // Assess
    expect(entityFeatures(f, 'account')?.windows[0]?.count).toBe(2);
    expect(entityFeatures(f, 'card')?.windows[0]?.count).toBe(3);
    expect(entityFeatures(f, 'terminal')?.windows[0]?.count).toBe(2);
    expect(entityFeatures(f, 'merchant')?.windows[0]?.count).toBe(1);
    expect(store.size()).toEqual({ entities: 6, events: 10 });
  });

  it('returns no card, terminal or merchant features for a transaction without them', () => {
    // Act
    const f = new FeatureWindows().observe(makeTx());

    // Assess
    expect(ENTITIES.filter((e) => hasEntity(f, e))).toEqual(['account']);
    expect(entityFeatures(f, 'card')).toBeUndefined();
    expect(featureValue(f, 'card', '1h', 'prior_count', 100)).toBe(0);
  });

  it('matches the brute-force definition for random multi-entity event streams', () => {
    const step = fc.oneof(
      { weight: 4, arbitrary: fc.constant(0) },
      { weight: 6, arbitrary: fc.integer({ min: 1, max: 2 * MINUTE }) },
      { weight: 3, arbitrary: fc.constantFrom(...WINDOW_MS, MINUTE - 1, MINUTE + 1) },
      { weight: 2, arbitrary: fc.integer({ min: 1, max: 3 * DAY }) },
      { weight: 1, arbitrary: fc.integer({ min: 30 * DAY, max: 40 * DAY }) },
    );
    // How late behind the stream's newest event: always within the default 7-day lateness.
    const late = fc.oneof(
      { weight: 6, arbitrary: fc.constant(0) },
      { weight: 2, arbitrary: fc.constantFrom(...WINDOW_MS.slice(0, 4)) },
      { weight: 2, arbitrary: fc.integer({ min: 1, max: 3 * DAY }) },
    );
    const event = fc.record({
      step,
      late,
      account: fc.constantFrom('a1', 'a2', 'a3'),
      card: fc.option(fc.constantFrom('c1', 'c2'), { nil: undefined }),
      terminal: fc.option(fc.constant('t1'), { nil: undefined }),
      merchant: fc.option(fc.constantFrom('m1', 'm2'), { nil: undefined }),
      amount: fc.oneof(fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 1, max: 1e12 })),
      country: fc.option(fc.constantFrom('GB', 'FR', 'US'), { nil: undefined }),
    });

    fc.assert(
      fc.property(fc.array(event, { minLength: 1, maxLength: 150 }), (events) => {
        // Prepare
        let clock = T;
        const txs = events.map((e, i): Transaction => {
          clock += e.step;
          const tx = makeTx({
            transactionId: `tx-${i}`,
            timestamp: clock - e.late,
            accountId: e.account,
            amount: e.amount,
          });
          if (e.card !== undefined) tx.card = { token: e.card, masked: `card:${e.card}` };
          if (e.terminal !== undefined) tx.terminalId = e.terminal;
          if (e.merchant !== undefined) tx.merchant = e.merchant;
          if (e.country !== undefined) tx.country = e.country;
          return tx;
        });

        // Act / Assess: with the default pool, and with chunks so small that most entities'
        // state outgrows them (blocks of their own, as a per-request store meets them)
        expect(checkAgainstReference(new FeatureWindows(), txs)).toBeUndefined();
        expect(checkAgainstReference(new FeatureWindows({ poolChunkOrder: 4 }), txs)).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });

  it('keeps memory to the longest window plus the lateness over a long history, staying exact', () => {
    // Prepare: 100 days, one transaction an hour, plus one 6-day-late transaction a day
    const store = new FeatureWindows();
    function* history(): Generator<Transaction> {
      for (let h = 0; h < 100 * 24; h++) {
        yield makeTx({
          transactionId: `h${h}`,
          timestamp: T + h * HOUR,
          amount: 10_000 + h,
          country: h % 48 === 0 ? 'FR' : 'GB',
        });
        if (h % 24 === 23) yield makeTx({ transactionId: `l${h}`, timestamp: T + h * HOUR - 6 * DAY - 1, amount: 7 });
      }
    }

    // Act
    const problem = checkAgainstReference(store, history());
    const size = store.size();

    // Assess
    expect(problem).toBeUndefined();
    expect(size.entities).toBe(1);
    // about 37 days (30d window + 7d lateness) of hourly events and daily late ones, not the 2,500 seen
    expect(size.events).toBeGreaterThanOrEqual(37 * 24);
    expect(size.events).toBeLessThanOrEqual(37 * 25 + 2);
  });

  it('forgets idle entities once enough events have passed', () => {
    // Prepare: 500 accounts seen once on day 0, one still active on day 55
    const store = new FeatureWindows();
    for (let i = 0; i < 500; i++) store.observe(makeTx({ accountId: `idle-${i}`, timestamp: T }));
    store.observe(makeTx({ accountId: 'recent', timestamp: T + 55 * DAY }));
    const before = store.size().entities;

    // Act: a busy account carries the stream to day 60 and past the 100,000th event
    const n = 100_000 - 501;
    for (let i = 1; i <= n; i++)
      store.observe(makeTx({ accountId: 'busy', timestamp: T + 55 * DAY + (i * 5 * DAY) / n }));

    // Assess
    expect(before).toBe(501);
    expect(store.size().entities).toBe(2);
  });

  it('keeps an entity idle for 31 days through a sweep: a late event within the lateness still counts its history', () => {
    // Prepare: account A seen on day 0; 100,000 events of others on day 31 (a sweep)
    const store = new FeatureWindows();
    store.observe(makeTx({ transactionId: 'a-0', accountId: 'A', timestamp: T }));
    for (let i = 1; i < 100_000; i++) store.observe(makeTx({ transactionId: `o-${i}`, accountId: `other-${i % 10}`, timestamp: T + 31 * DAY }));

    // Act: A again on day 25, six days behind the newest event (the lateness allows seven)
    const f = store.observe(makeTx({ transactionId: 'a-1', accountId: 'A', timestamp: T + 25 * DAY }));

    // Assess: day 0 is inside its 30-day window, so the sweep must not have forgotten A
    expect(featureValue(f, 'account', '30d', 'count', 0)).toBe(2);
    expect(featureValue(f, 'account', '7d', 'count', 0)).toBe(1);
  });

  it('forgets everything on clear()', () => {
    // Prepare
    const store = new FeatureWindows();
    store.observe(makeTx({ timestamp: T }));

    // Act
    store.clear();
    const f = store.observe(makeTx({ timestamp: T + 1 }));

    // Assess
    expect(entityFeatures(f, 'account')?.windows[0]?.count).toBe(1);
    expect(entityFeatures(f, 'account')?.previous).toBeUndefined();
    expect(store.size()).toEqual({ entities: 1, events: 1 });
  });

  it('averages the earlier events of a window without the current one (prior_avg)', () => {
    // Prepare
    const store = new FeatureWindows();
    store.observe(makeTx({ transactionId: 'a', timestamp: T, amount: 10 }));
    store.observe(makeTx({ transactionId: 'b', timestamp: T + MINUTE, amount: 20 }));

    // Act
    const f = store.observe(makeTx({ transactionId: 'c', timestamp: T + 2 * MINUTE, amount: 60 }));

    // Assess: (10 + 20) / 2
    expect(featureValue(f, 'account', '1h', 'prior_avg', 60)).toBe(15);
    expect(featureValue(f, 'account', '1h', 'prior_sum', 60)).toBe(30);
    expect(featureValue(f, 'account', '1h', 'prior_count', 60)).toBe(2);
  });

  it('reads nothing for the card, terminal and merchant of a transaction that has none', () => {
    // Prepare
    const store = new FeatureWindows();
    store.observe(makeTx({ transactionId: 'a', timestamp: T, card: { token: 'c1', masked: '411111******1111' }, terminalId: 't1', merchant: 'm1' }));

    // Act
    const f = store.observe(makeTx({ transactionId: 'b', timestamp: T + MINUTE }));

    // Assess
    for (const entity of ['card', 'terminal', 'merchant'] as const) {
      expect(hasEntity(f, entity), entity).toBe(false);
      expect(featureValue(f, entity, '1h', 'count', 1), entity).toBe(0);
      expect(featureValue(f, entity, '1h', 'sum', 1), entity).toBe(0);
    }
    expect(featureValue(f, 'account', '1h', 'count', 1)).toBe(2);
  });

  it('reports how far back history can matter', () => {
    expect(new FeatureWindows().horizonMs).toBe(37 * DAY);
    expect(new FeatureWindows({ latenessMs: HOUR }).horizonMs).toBe(30 * DAY + HOUR);
  });
});
