import { type Features, hasEntity, labelAt, previousCountry, previousTime, windowAt } from '../features.js';
import { ENTITY_LAYOUT } from '../windows.js';
import type { Transaction } from '../transaction.js';

/**
 * The model's inputs, in order. General behavioural features — spend relative to the customer's
 * own history, velocity per account/card/terminal, country changes, balance use, and known fraud
 * on the terminal/merchant/card/account (label feedback with delay) — rather than anything shaped
 * after one data set. Computed from the same `Features` the rules see: one code path for training
 * and scoring, so there is no train/serve skew.
 */
export const MODEL_FEATURES = [
  'amount_log',
  'hour',
  'weekday',
  'acct_count_1h',
  'acct_count_24h',
  'acct_count_7d',
  'acct_count_30d',
  'acct_amount_vs_24h',
  'acct_amount_vs_7d',
  'acct_amount_vs_30d',
  'acct_avg_30d_log',
  'acct_countries_24h',
  'acct_countries_30d',
  'acct_minutes_since_prev_log',
  'acct_country_changed',
  'card_count_1m',
  'card_count_1h',
  'card_count_24h',
  'card_amount_vs_7d',
  'card_sum_24h_log',
  'term_count_1h',
  'term_count_24h',
  'term_count_7d',
  'term_amount_vs_7d',
  'term_fraud_rate_1d',
  'term_fraud_rate_7d',
  'term_fraud_rate_30d',
  'term_frauds_7d',
  'merch_fraud_rate_7d',
  'merch_fraud_rate_30d',
  'card_frauds_30d',
  'acct_frauds_30d',
  'cross_border',
  'balance_ratio',
  'is_round',
  'channel_pos',
  'channel_ecom',
  'channel_atm',
  'channel_transfer',
] as const;

/** Number of model inputs. */
export const FEATURE_COUNT = MODEL_FEATURES.length;

/** Marks a value that does not exist (no history, no balance); trees learn where it goes. */
export const MISSING = -1;

const log1p = Math.log1p;

/** amount / mean of the earlier transactions in the window, or MISSING without history. */
function ratio(amount: number, priorAvg: number): number {
  return priorAvg > 0 ? amount / priorAvg : MISSING;
}


const DAY_MS = 86_400_000;
const [W1M, W1H, W24H, W7D, W30D] = [0, 1, 2, 3, 4];

const COUNT = ENTITY_LAYOUT.count;
const SUM = ENTITY_LAYOUT.sum;
const COUNTRIES = ENTITY_LAYOUT.countries;
const ACCT_1H = windowAt('account', W1H);
const ACCT_24H = windowAt('account', W24H);
const ACCT_7D = windowAt('account', W7D);
const ACCT_30D = windowAt('account', W30D);
const CARD_1M = windowAt('card', W1M);
const CARD_1H = windowAt('card', W1H);
const CARD_24H = windowAt('card', W24H);
const CARD_7D = windowAt('card', W7D);
const TERM_1H = windowAt('terminal', W1H);
const TERM_24H = windowAt('terminal', W24H);
const TERM_7D = windowAt('terminal', W7D);

/**
 * amount / mean of the earlier transactions of the window at `at`, or MISSING without history
 * (an absent entity's windows count 0).
 */
function ratioTo(amount: number, v: Float64Array, at: number): number {
  const count = v[at + COUNT] as number;
  return count > 1 ? ratio(amount, ((v[at + SUM] as number) - amount) / (count - 1)) : MISSING;
}

/** Known fraud rate of the label window at `at`, or MISSING when no label is known there. */
function labelRate(v: Float64Array, at: number): number {
  const known = v[at] as number;
  return known > 0 ? (v[at + 1] as number) / known : MISSING;
}

const [L_ACCOUNT, L_CARD, L_TERMINAL, L_MERCHANT] = [0, 1, 2, 3];
const [L1D, L7D, L30D] = [0, 1, 2];
const TERM_L1D = labelAt(L_TERMINAL, L1D);
const TERM_L7D = labelAt(L_TERMINAL, L7D);
const TERM_L30D = labelAt(L_TERMINAL, L30D);
const MERCH_L7D = labelAt(L_MERCHANT, L7D);
const MERCH_L30D = labelAt(L_MERCHANT, L30D);
const CARD_L30D = labelAt(L_CARD, L30D);
const ACCT_L30D = labelAt(L_ACCOUNT, L30D);

/**
 * Builds the model input vector of one transaction into `out` (length {@link FEATURE_COUNT}).
 * Pure. Runs once per scored row, so it reads each window aggregate once instead of going
 * through `featureValue` for every statistic (same values; the tests compare both).
 */
export function modelVector(tx: Transaction, f: Features, out: Float64Array = new Float64Array(FEATURE_COUNT)): Float64Array {
  const a = tx.amount;
  const units = a / 10_000;
  const msOfDay = ((tx.timestamp % DAY_MS) + DAY_MS) % DAY_MS;
  const v = f.values;
  const r = f.at;
  const prevTime = previousTime(f, 'account');
  const prevCountry = previousCountry(f, 'account');
  let i = 0;
  out[i++] = log1p(units);
  out[i++] = msOfDay / 3_600_000;
  out[i++] = (Math.floor(tx.timestamp / DAY_MS) + 4) % 7; // 1970-01-01 was a Thursday (4)
  out[i++] = v[r + ACCT_1H + COUNT] as number;
  out[i++] = v[r + ACCT_24H + COUNT] as number;
  out[i++] = v[r + ACCT_7D + COUNT] as number;
  out[i++] = v[r + ACCT_30D + COUNT] as number;
  out[i++] = ratioTo(a, v, r + ACCT_24H);
  out[i++] = ratioTo(a, v, r + ACCT_7D);
  out[i++] = ratioTo(a, v, r + ACCT_30D);
  const count30 = v[r + ACCT_30D + COUNT] as number;
  const prior30 = (v[r + ACCT_30D + SUM] as number) - a;
  out[i++] = count30 > 1 && prior30 > 0 ? log1p(prior30 / (count30 - 1) / 10_000) : MISSING;
  out[i++] = v[r + ACCT_24H + COUNTRIES] as number;
  out[i++] = v[r + ACCT_30D + COUNTRIES] as number;
  const hasPrev = !Number.isNaN(prevTime);
  out[i++] = hasPrev ? log1p(Math.max(0, tx.timestamp - prevTime) / 60_000) : MISSING;
  out[i++] =
    hasPrev && prevCountry !== undefined && tx.country !== undefined ? (prevCountry === tx.country ? 0 : 1) : MISSING;
  out[i++] = v[r + CARD_1M + COUNT] as number;
  out[i++] = v[r + CARD_1H + COUNT] as number;
  out[i++] = v[r + CARD_24H + COUNT] as number;
  out[i++] = ratioTo(a, v, r + CARD_7D);
  out[i++] = hasEntity(f, 'card') ? log1p((v[r + CARD_24H + SUM] as number) / 10_000) : MISSING;
  out[i++] = v[r + TERM_1H + COUNT] as number;
  out[i++] = v[r + TERM_24H + COUNT] as number;
  out[i++] = v[r + TERM_7D + COUNT] as number;
  out[i++] = ratioTo(a, v, r + TERM_7D);
  out[i++] = labelRate(v, r + TERM_L1D);
  out[i++] = labelRate(v, r + TERM_L7D);
  out[i++] = labelRate(v, r + TERM_L30D);
  out[i++] = v[r + TERM_L7D + 1] as number;
  out[i++] = labelRate(v, r + MERCH_L7D);
  out[i++] = labelRate(v, r + MERCH_L30D);
  out[i++] = v[r + CARD_L30D + 1] as number;
  out[i++] = v[r + ACCT_L30D + 1] as number;
  const from = tx.originCountry ?? tx.country;
  out[i++] = from !== undefined && tx.destinationCountry !== undefined ? (from === tx.destinationCountry ? 0 : 1) : MISSING;
  out[i++] = tx.accountBalance !== undefined ? (tx.accountBalance > 0 ? Math.min(a / tx.accountBalance, 100) : 100) : MISSING;
  out[i++] = a % 10_000 === 0 ? 1 : 0;
  const ch = tx.channel?.toLowerCase();
  out[i++] = ch === 'pos' ? 1 : 0;
  out[i++] = ch === 'ecom' || ch === 'online' || ch === 'web' ? 1 : 0;
  out[i++] = ch === 'atm' ? 1 : 0;
  out[i++] = ch === 'transfer' ? 1 : 0;
  return out;
}
