import { type Features, featureValue, labelCounts, previousOf } from '../features.js';
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

function rate(c: { known: number; frauds: number }): number {
  return c.known > 0 ? c.frauds / c.known : MISSING;
}

/**
 * Builds the model input vector of one transaction into `out` (length {@link FEATURE_COUNT}).
 * Pure; reads features only through the stable accessors.
 */
export function modelVector(tx: Transaction, f: Features, out: Float64Array = new Float64Array(FEATURE_COUNT)): Float64Array {
  const a = tx.amount;
  const units = a / 10_000;
  const d = new Date(tx.timestamp);
  const prev = previousOf(f, 'account');
  let i = 0;
  out[i++] = log1p(units);
  out[i++] = d.getUTCHours() + d.getUTCMinutes() / 60;
  out[i++] = d.getUTCDay();
  out[i++] = featureValue(f, 'account', '1h', 'count', a);
  out[i++] = featureValue(f, 'account', '24h', 'count', a);
  out[i++] = featureValue(f, 'account', '7d', 'count', a);
  out[i++] = featureValue(f, 'account', '30d', 'count', a);
  out[i++] = ratio(a, featureValue(f, 'account', '24h', 'prior_avg', a));
  out[i++] = ratio(a, featureValue(f, 'account', '7d', 'prior_avg', a));
  out[i++] = ratio(a, featureValue(f, 'account', '30d', 'prior_avg', a));
  const avg30 = featureValue(f, 'account', '30d', 'prior_avg', a);
  out[i++] = avg30 > 0 ? log1p(avg30 / 10_000) : MISSING;
  out[i++] = featureValue(f, 'account', '24h', 'countries', a);
  out[i++] = featureValue(f, 'account', '30d', 'countries', a);
  out[i++] = prev ? log1p(Math.max(0, tx.timestamp - prev.timestamp) / 60_000) : MISSING;
  out[i++] =
    prev && prev.country !== undefined && tx.country !== undefined ? (prev.country === tx.country ? 0 : 1) : MISSING;
  out[i++] = featureValue(f, 'card', '1m', 'count', a);
  out[i++] = featureValue(f, 'card', '1h', 'count', a);
  out[i++] = featureValue(f, 'card', '24h', 'count', a);
  out[i++] = f.card ? ratio(a, featureValue(f, 'card', '7d', 'prior_avg', a)) : MISSING;
  out[i++] = f.card ? log1p(featureValue(f, 'card', '24h', 'sum', a) / 10_000) : MISSING;
  out[i++] = featureValue(f, 'terminal', '1h', 'count', a);
  out[i++] = featureValue(f, 'terminal', '24h', 'count', a);
  out[i++] = featureValue(f, 'terminal', '7d', 'count', a);
  out[i++] = f.terminal ? ratio(a, featureValue(f, 'terminal', '7d', 'prior_avg', a)) : MISSING;
  out[i++] = rate(labelCounts(f, 'terminal', '1d'));
  out[i++] = rate(labelCounts(f, 'terminal', '7d'));
  out[i++] = rate(labelCounts(f, 'terminal', '30d'));
  out[i++] = labelCounts(f, 'terminal', '7d').frauds;
  out[i++] = rate(labelCounts(f, 'merchant', '7d'));
  out[i++] = rate(labelCounts(f, 'merchant', '30d'));
  out[i++] = labelCounts(f, 'card', '30d').frauds;
  out[i++] = labelCounts(f, 'account', '30d').frauds;
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
