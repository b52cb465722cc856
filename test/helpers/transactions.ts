import { parseDecimal } from '../../src/core/decimal.js';
import { type Features, featuresFrom } from '../../src/core/features.js';
import { createPanTokenizer, type PanTokenizer } from '../../src/core/pan.js';
import type { Decision } from '../../src/core/scoring.js';
import type { Transaction } from '../../src/core/transaction.js';
import { type EntityFeatures, WINDOWS, type WindowAggregate, type WindowName } from '../../src/core/windows.js';

/** A fixed 32-byte tokenisation key for tests. */
export const TEST_KEY = 'fraudmini-test-key-0123456789abcdef';

/** A tokenizer keyed with {@link TEST_KEY}. */
export function testTokenizer(): PanTokenizer {
  return createPanTokenizer(TEST_KEY);
}

/** 2024-03-01T12:00:00Z, the default transaction time. */
export const T0 = Date.UTC(2024, 2, 1, 12, 0, 0);

/** A decimal string as an exact E4 integer; throws on a bad literal so tests fail loudly. */
export function money(text: string): number {
  const p = parseDecimal(text);
  if (!p.ok) throw new Error(`bad money literal in test: ${text} (${p.reason})`);
  return p.value;
}

/** A valid {@link Transaction} (123.45 USD on account acc-1 at {@link T0}) with `overrides` applied. */
export function makeTx(overrides: Partial<Transaction> = {}): Transaction {
  return {
    transactionId: 'tx-1',
    timestamp: T0,
    accountId: 'acc-1',
    amount: money('123.45'),
    currency: 'USD',
    attributes: {},
    ...overrides,
  };
}

/** An allow decision with score 0 and no reasons, made at {@link T0}, with `overrides` applied. */
export function makeDecision(overrides: Partial<Decision> = {}): Decision {
  return {
    transaction_id: 'tx-1',
    score: 0,
    outcome: 'allow',
    reasons: [],
    model_score: null,
    model_version: null,
    rules_score: 0,
    rules_version: 'test-1',
    decided_at: new Date(T0).toISOString(),
    ...overrides,
  };
}

/** One window aggregate; defaults to a window holding a single transaction of `sum`. */
export function aggregate(partial: Partial<WindowAggregate> = {}): WindowAggregate {
  return { count: 1, sum: 0, sumSq: 0, countries: 0, ...partial };
}

/**
 * Features of one entity: every window defaults to `base` (one transaction), and `windows`
 * overrides chosen windows by name.
 */
export function entityFeatures(
  options: {
    base?: Partial<WindowAggregate>;
    windows?: Partial<Record<WindowName, Partial<WindowAggregate>>>;
    previous?: EntityFeatures['previous'];
  } = {},
): EntityFeatures {
  const windows = WINDOWS.map((w) => aggregate({ ...options.base, ...options.windows?.[w] }));
  return options.previous ? { windows, previous: options.previous } : { windows };
}

/** The features a transaction has when it is the first one its account has ever seen. */
export function firstSeen(tx: Transaction): Features {
  return featuresFrom({ account: entityFeatures({ base: { count: 1, sum: tx.amount, countries: tx.country ? 1 : 0 } }) });
}

/** Computes the Luhn check digit for a string of digits. */
export function luhnCheckDigit(payload: string): string {
  let sum = 0;
  let double = true;
  for (let i = payload.length - 1; i >= 0; i--) {
    let d = payload.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return String((10 - (sum % 10)) % 10);
}

/** Completes `payload` into a Luhn-valid number. */
export function luhnComplete(payload: string): string {
  return payload + luhnCheckDigit(payload);
}

/**
 * Recursively freezes a value so any mutation throws (ESM modules run in strict mode). Typed
 * arrays (feature rows) cannot be frozen: they are left as they are, for the caller's snapshot
 * comparison to catch a mutation.
 */
export function deepFreeze<T>(value: T): T {
  if (ArrayBuffer.isView(value)) return value;
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
