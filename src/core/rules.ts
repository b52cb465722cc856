import { createHash } from 'node:crypto';
import { formatDecimal, parseDecimal } from './decimal.js';
import { RulesError } from './errors.js';
import type { Features } from './features.js';
import type { Transaction } from './transaction.js';
import { WINDOWS, type WindowName } from './windows.js';

/** A rule that fired: its stable id, its weight (0–100) and a sentence a person can read. */
export interface RuleHit {
  rule: string;
  weight: number;
  detail: string;
}

/** Result of evaluating a rule set: the rules that fired and the ids of those that did not. */
export interface Evaluation {
  fired: RuleHit[];
  unfired: string[];
}

/** A rule ready to run. */
export interface CompiledRule {
  id: string;
  kind: RuleKind;
  version: number;
  description: string;
  weight: number;
  /** The detail of the hit, or undefined when the rule does not fire. */
  test(tx: Transaction, f: Features): string | undefined;
}

/** Score thresholds for outcomes (0–100): `score >= block` blocks, `score >= review` reviews. */
export interface Thresholds {
  review: number;
  block: number;
}

/** A validated, compiled rule set. */
export interface RuleSet {
  version: string;
  thresholds: Thresholds;
  rules: CompiledRule[];
}

/** Built-in rule kinds (the seed rules of DESIGN.md). */
export const RULE_KINDS = [
  'high_value',
  'blacklisted_merchant',
  'small_round_amount',
  'high_risk_location',
  'velocity',
  'cross_border',
  'low_balance_high_amount',
  'amount_anomaly',
  'impossible_travel',
] as const;
/** A built-in rule kind. */
export type RuleKind = (typeof RULE_KINDS)[number];

type Params = Record<string, unknown>;
type Lists = Map<string, Set<string>>;

/** Reads and checks parameters of one rule, collecting precise errors. */
class ParamReader {
  constructor(
    private readonly params: Params,
    private readonly path: string,
  ) {}

  money(name: string, fallback: string): number {
    const v = this.params[name] ?? fallback;
    if (typeof v !== 'number' && typeof v !== 'string') throw this.error(name, 'must be a decimal number');
    const p = parseDecimal(String(v));
    if (!p.ok || p.value < 0) throw this.error(name, p.ok ? 'must not be negative' : p.reason);
    return p.value;
  }

  number(name: string, fallback: number, min = 0): number {
    const v = this.params[name] ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min) throw this.error(name, `must be a number >= ${min}`);
    return v;
  }

  window(name: string, fallback: WindowName): number {
    const v = this.params[name] ?? fallback;
    const i = WINDOWS.indexOf(v as WindowName);
    if (i === -1) throw this.error(name, `must be one of ${WINDOWS.join(', ')}`);
    return i;
  }

  list(name: string, fallback: string, lists: Lists): Set<string> {
    const v = this.params[name] ?? fallback;
    if (typeof v !== 'string') throw this.error(name, 'must name a list');
    const set = lists.get(v);
    if (!set) throw this.error(name, `names list "${v}", which is not defined under "lists"`);
    return set;
  }

  private error(name: string, reason: string): RulesError {
    return new RulesError(`${this.path}.params.${name}`, reason);
  }
}

const money = (e4: number): string => formatDecimal(e4);

/** Builds the test function of a rule kind from its parameters. */
function compileKind(kind: RuleKind, p: ParamReader, lists: Lists): CompiledRule['test'] {
  switch (kind) {
    case 'high_value': {
      const limit = p.money('amount', '10000');
      return (tx) =>
        tx.amount > limit ? `amount ${money(tx.amount)} ${tx.currency} is above ${money(limit)}` : undefined;
    }
    case 'blacklisted_merchant': {
      const set = p.list('list', 'blacklisted_merchants', lists);
      return (tx) =>
        tx.merchant !== undefined && set.has(tx.merchant.toLowerCase())
          ? `merchant "${tx.merchant}" is on the blacklist`
          : undefined;
    }
    case 'small_round_amount': {
      const max = p.money('max_amount', '50');
      const step = p.money('multiple_of', '1');
      return (tx) =>
        tx.amount < max && step > 0 && tx.amount % step === 0
          ? `round amount ${money(tx.amount)} under ${money(max)} (card testing pattern)`
          : undefined;
    }
    case 'high_risk_location': {
      const set = p.list('list', 'high_risk_countries', lists);
      return (tx) => {
        for (const c of [tx.country, tx.originCountry, tx.destinationCountry]) {
          if (c !== undefined && set.has(c.toLowerCase())) return `country ${c} is on the high-risk list`;
        }
        return undefined;
      };
    }
    case 'velocity': {
      const max = p.number('max_count', 3, 1);
      const w = p.window('window', '1m');
      const name = WINDOWS[w];
      return (tx, f) => {
        const account = f.account.windows[w]?.count ?? 0;
        if (account > max) return `${account} transactions on account ${tx.accountId} within ${name} (limit ${max})`;
        const card = f.card?.windows[w]?.count ?? 0;
        if (card > max) return `${card} transactions on card ${tx.card?.masked} within ${name} (limit ${max})`;
        return undefined;
      };
    }
    case 'cross_border':
      return (tx) => {
        const from = tx.originCountry ?? tx.country;
        const to = tx.destinationCountry;
        return from !== undefined && to !== undefined && from !== to ? `cross-border: ${from} to ${to}` : undefined;
      };
    case 'low_balance_high_amount': {
      const minAmount = p.money('min_amount', '500');
      const lowBalance = p.money('low_balance', '1000');
      const ratio = p.number('max_ratio', 0.9);
      return (tx) => {
        const b = tx.accountBalance;
        if (b === undefined || tx.amount < minAmount) return undefined;
        if (b < lowBalance || tx.amount > b * ratio) {
          return `amount ${money(tx.amount)} against a balance of ${money(b)}`;
        }
        return undefined;
      };
    }
    case 'amount_anomaly': {
      const multiplier = p.number('multiplier', 5, 1);
      const minHistory = p.number('min_history', 5, 1);
      const minAmount = p.money('min_amount', '100');
      const w = p.window('window', '30d');
      return (tx, f) => {
        const agg = f.account.windows[w];
        if (!agg || tx.amount < minAmount) return undefined;
        const n = agg.count - 1;
        const priorSum = agg.sum - tx.amount;
        if (n < minHistory || priorSum <= 0) return undefined;
        // amount > multiplier * mean, kept in integers: amount * n > multiplier * priorSum
        if (tx.amount * n > multiplier * priorSum) {
          return `amount ${money(tx.amount)} is ${((tx.amount * n) / priorSum).toFixed(1)}x the account's ${WINDOWS[w]} mean of ${money(Math.round(priorSum / n / 100) * 100)}`;
        }
        return undefined;
      };
    }
    case 'impossible_travel': {
      const minMinutes = p.number('min_minutes', 120, 0);
      return (tx, f) => {
        const prev = f.account.previous;
        if (!prev || prev.country === undefined || tx.country === undefined || prev.country === tx.country) {
          return undefined;
        }
        const minutes = (tx.timestamp - prev.timestamp) / 60_000;
        return minutes < minMinutes
          ? `country changed from ${prev.country} to ${tx.country} in ${minutes.toFixed(0)} min (minimum ${minMinutes})`
          : undefined;
      };
    }
  }
}

/**
 * Validates and compiles a rules document (the parsed JSON of a rules file).
 * Every problem is reported with its path (`rules[2].params.amount`).
 *
 * @example
 * const set = compileRuleSet({ version: '1', rules: [{ id: 'high_value', weight: 60 }] });
 */
export function compileRuleSet(doc: unknown): RuleSet {
  if (!isObject(doc)) throw new RulesError('', 'must be a JSON object with "rules"');
  const lists: Lists = new Map();
  if (doc.lists !== undefined) {
    if (!isObject(doc.lists)) throw new RulesError('lists', 'must be an object of name → array of strings');
    for (const [name, values] of Object.entries(doc.lists)) {
      if (!Array.isArray(values) || !values.every((v) => typeof v === 'string')) {
        throw new RulesError(`lists.${name}`, 'must be an array of strings');
      }
      lists.set(name, new Set(values.map((v) => v.trim().toLowerCase())));
    }
  }
  const thresholds = { review: 50, block: 80 };
  if (doc.thresholds !== undefined) {
    if (!isObject(doc.thresholds)) throw new RulesError('thresholds', 'must be { "review": n, "block": n }');
    for (const k of ['review', 'block'] as const) {
      const v = doc.thresholds[k];
      if (v === undefined) continue;
      if (typeof v !== 'number' || v < 0 || v > 100) throw new RulesError(`thresholds.${k}`, 'must be a number 0–100');
      thresholds[k] = v;
    }
    if (thresholds.block < thresholds.review) {
      throw new RulesError('thresholds', 'block must not be lower than review');
    }
  }
  if (!Array.isArray(doc.rules)) throw new RulesError('rules', 'must be an array');
  const ids = new Set<string>();
  const rules: CompiledRule[] = doc.rules.map((r: unknown, i: number): CompiledRule => {
    const path = `rules[${i}]`;
    if (!isObject(r)) throw new RulesError(path, 'must be an object');
    const id = r.id;
    if (typeof id !== 'string' || !/^[a-z][a-z0-9_]*$/.test(id)) {
      throw new RulesError(`${path}.id`, 'must be a snake_case name');
    }
    if (ids.has(id)) throw new RulesError(`${path}.id`, `"${id}" is used twice`);
    ids.add(id);
    const kind = (r.kind ?? id) as RuleKind;
    if (!RULE_KINDS.includes(kind)) {
      throw new RulesError(`${path}.kind`, `"${kind}" is not a rule kind; kinds are ${RULE_KINDS.join(', ')}`);
    }
    const weight = r.weight;
    if (typeof weight !== 'number' || weight < 0 || weight > 100) {
      throw new RulesError(`${path}.weight`, 'must be a number 0–100');
    }
    const version = r.version ?? 1;
    if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
      throw new RulesError(`${path}.version`, 'must be a positive integer');
    }
    const params = r.params ?? {};
    if (!isObject(params)) throw new RulesError(`${path}.params`, 'must be an object');
    const test = compileKind(kind, new ParamReader(params, `${path}`), lists);
    const description = typeof r.description === 'string' ? r.description : kind.replaceAll('_', ' ');
    return { id, kind, version, description, weight, test };
  });
  const enabled = rules.filter((_, i) => (doc.rules as Params[])[i]?.enabled !== false);
  const version =
    typeof doc.version === 'string' && doc.version !== ''
      ? doc.version
      : `sha256:${createHash('sha256').update(JSON.stringify(doc)).digest('hex').slice(0, 12)}`;
  return { version, thresholds, rules: enabled };
}

/**
 * Runs every rule of the set over a transaction and its features. Pure: no state, inputs untouched.
 * @example evaluate(set, tx, features).fired.map((h) => h.rule) // ['high_value']
 */
export function evaluate(set: RuleSet, tx: Transaction, f: Features): Evaluation {
  const fired: RuleHit[] = [];
  const unfired: string[] = [];
  for (const r of set.rules) {
    const detail = r.test(tx, f);
    if (detail === undefined) unfired.push(r.id);
    else fired.push({ rule: r.id, weight: r.weight, detail });
  }
  return { fired, unfired };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
