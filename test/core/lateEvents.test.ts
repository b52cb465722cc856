import { describe, expect, it } from 'vitest';
import { compileValue } from '../../src/core/expr/compiler.js';
import { FeatureWindows } from '../../src/core/features.js';
import { makeTx, money } from '../helpers/transactions.js';

// The previous transaction of an entity is known whole or not at all: `prev_country` is missing
// exactly when `minutes_since_prev` is. A transaction far later than the allowed lateness is
// answered from what the entity still keeps; its previous transaction may have been forgotten,
// and then neither its time nor its country may show.

const T = Date.UTC(2026, 2, 1, 12);
const HOUR = 3_600_000;
const DAY = 86_400_000;
const prevCountry = compileValue('prev_country(account)', { lists: new Map() });
const minutesSince = compileValue('minutes_since_prev(account)', { lists: new Map() });

describe('the previous transaction of a very late one', () => {
  it('shows its country only when it shows its time', () => {
    // Prepare: two transactions a day apart, a third 60 days later (the first is forgotten: only
    // the newest one past every window is kept), then one between the first two, far later than
    // the allowed lateness
    const store = new FeatureWindows();
    const tx = (id: string, at: number, country: string) =>
      makeTx({ transactionId: id, accountId: 'acct-late', timestamp: at, country, amount: money('10.00') });
    store.observe(tx('L1', T, 'GB'));
    store.observe(tx('L2', T + DAY, 'FR'));
    store.observe(tx('L3', T + 60 * DAY, 'DE'));
    const late = tx('L4', T + 12 * HOUR, 'US');

    // Act
    const f = store.observe(late);

    // Assess
    const minutes = minutesSince.evaluate(late, f);
    const country = prevCountry.evaluate(late, f);
    expect(country === undefined).toBe(minutes === undefined);
  });
});
