import { createHash } from 'node:crypto';
import { ExpressionError, RuleExpressionError, RulesError, RuleSetError } from './errors.js';
import { type CheckEnv } from './expr/checker.js';
import { compileCondition, compileTemplate, type Condition, type Template } from './expr/compiler.js';
import { clip } from './expr/lexer.js';
import type { Features } from './features.js';
import { maskPansInText } from './pan.js';
import type { Transaction } from './transaction.js';

/** What an action rule does when it fires: `allow` wins over everything, then `block`, then `review`. */
export type RuleAction = 'allow' | 'review' | 'block';
/** The actions a rule can take. */
export const RULE_ACTIONS: readonly RuleAction[] = ['allow', 'review', 'block'];

/**
 * A rule that fired: its stable id, its weight (0–100; 0 for an action rule), a sentence a person
 * can read, and its action when it is an action rule.
 */
export interface RuleHit {
  rule: string;
  weight: number;
  detail: string;
  action?: RuleAction;
}

/** Result of evaluating a rule set: the rules that fired and the ids of those that did not. */
export interface Evaluation {
  fired: RuleHit[];
  unfired: string[];
}

/** A rule ready to run: its `when` compiled once into a closure. */
export interface CompiledRule {
  id: string;
  version: number;
  description: string;
  /** 0–100 for a weighted rule; 0 for an action rule. */
  weight: number;
  action: RuleAction | undefined;
  /** The condition as written. */
  when: string;
  /** The compiled `when`: the rule fires when it returns true (not false, not unknown). */
  test: Condition;
  /** The detail of a hit; called only when the rule fires. */
  detail: Template;
}

/** Score thresholds for outcomes (0–100): `score >= block` blocks, `score >= review` reviews. */
export interface Thresholds {
  review: number;
  block: number;
}

/** One rule as written in a rules document. */
export interface RuleDocument {
  id: string;
  /** Positive integer. @default 1 */
  version?: number;
  description?: string;
  /** The condition, in the rule language: `amount > 10000`. */
  when: string;
  /** 0–100; exactly one of `weight` and `action`. */
  weight?: number;
  action?: RuleAction;
  /** A sentence with `{expression}` placeholders. @default the description */
  detail?: string;
  /** @default true */
  enabled?: boolean;
}

/** A rules document: the JSON of a rules file and of `PUT /rules`. */
export interface RulesDocument {
  /** @default a hash of the document (`sha256:…`) */
  version?: string;
  description?: string;
  thresholds?: Partial<Thresholds>;
  /** Named lists of strings, matched case-insensitively by `x in list("name")`. */
  lists?: Record<string, string[]>;
  rules: RuleDocument[];
}

/** A validated, compiled rule set, with the document it was compiled from. */
export interface RuleSet {
  version: string;
  thresholds: Thresholds;
  /** The enabled rules, in document order. */
  rules: CompiledRule[];
  /** A copy of the source document. */
  document: RulesDocument;
}

/** Options of {@link compileRuleSet}. */
export interface CompileOptions {
  /** The file the document came from, to name in errors. */
  file?: string;
}

const DOC_KEYS = ['version', 'description', 'thresholds', 'lists', 'rules'];
/** The longest rule id. */
const MAX_ID = 64;
/** The longest version of a rules document. */
const MAX_VERSION = 128;
/** Problems a rules error lists at most: a document of thousands of bad rules gets a readable answer. */
const MAX_PROBLEMS = 100;
const RULE_KEYS = ['id', 'version', 'description', 'when', 'weight', 'action', 'detail', 'enabled'];

/**
 * Validates and compiles a rules document (the parsed JSON of a rules file). Every expression is
 * parsed, type-checked and compiled to closures here, once. Problems are reported with their path
 * (`rules[2].weight`); expression problems also with the rule id, the column and a caret. All
 * rules are checked: several problems come as one {@link RuleSetError} listing each.
 *
 * @example
 * const set = compileRuleSet({
 *   version: '1',
 *   rules: [{ id: 'high_value', when: 'amount > 10000', weight: 60, detail: 'amount {amount} over 10000' }],
 * });
 */
export function compileRuleSet(doc: unknown, options: CompileOptions = {}): RuleSet {
  const file = options.file;
  const problem = (path: string, reason: string): RulesError => new RulesError(path, reason, file);
  if (!isObject(doc)) throw problem('', 'must be a JSON object with "rules"');
  // First, and alone: any other problem's message could repeat the card number.
  const cards = cardNumbersIn(doc).map((path) => problem(path, CARD_NUMBER_IN_RULES));
  if (cards.length === 1) throw cards[0];
  if (cards.length > 1) throw new RuleSetError(cards, file);
  const errors: RulesError[] = [];
  for (const key of Object.keys(doc)) {
    if (!DOC_KEYS.includes(key))
      errors.push(problem(clip(key), `is not a rules document key (keys: ${DOC_KEYS.join(', ')})`));
  }
  if (doc.version !== undefined && (typeof doc.version !== 'string' || doc.version === '')) {
    // Suggest the value as a string only when it is a number: anything else may be huge or nested.
    const example = typeof doc.version === 'number' ? `, such as "${doc.version}"` : '';
    errors.push(problem('version', `must be a non-empty string${example}`));
  } else if (typeof doc.version === 'string' && doc.version.length > MAX_VERSION) {
    // Every decision stores the version of the rules that made it.
    errors.push(problem('version', `must be at most ${MAX_VERSION} characters`));
  }
  if (doc.description !== undefined && typeof doc.description !== 'string') {
    errors.push(problem('description', 'must be a string'));
  }
  const lists = new Map<string, ReadonlySet<string>>();
  if (doc.lists !== undefined) {
    if (!isObject(doc.lists)) errors.push(problem('lists', 'must be an object of name → array of strings'));
    else {
      for (const [name, values] of Object.entries(doc.lists)) {
        if (!Array.isArray(values) || !values.every((v) => typeof v === 'string')) {
          errors.push(problem(`lists.${clip(name)}`, 'must be an array of strings'));
          continue;
        }
        lists.set(name, new Set(values.map((v) => v.trim().toLowerCase())));
      }
    }
  }
  const thresholds = { review: 50, block: 80 };
  if (doc.thresholds !== undefined) {
    if (!isObject(doc.thresholds)) errors.push(problem('thresholds', 'must be { "review": n, "block": n }'));
    else {
      for (const k of Object.keys(doc.thresholds)) {
        if (k !== 'review' && k !== 'block')
          errors.push(problem(`thresholds.${clip(k)}`, 'is not a threshold (thresholds: review, block)'));
      }
      for (const k of ['review', 'block'] as const) {
        const v = doc.thresholds[k];
        if (v === undefined) continue;
        if (typeof v !== 'number' || !(v >= 0 && v <= 100))
          errors.push(problem(`thresholds.${k}`, 'must be a number 0–100'));
        else thresholds[k] = v;
      }
      if (thresholds.block < thresholds.review)
        errors.push(problem('thresholds', 'block must not be lower than review'));
    }
  }
  const rules: CompiledRule[] = [];
  if (!Array.isArray(doc.rules)) errors.push(problem('rules', 'must be an array'));
  else {
    const env: CheckEnv = { lists };
    const ids = new Set<string>();
    doc.rules.forEach((r: unknown, i: number) => {
      try {
        const rule = compileRule(r, `rules[${i}]`, ids, env, file);
        if (rule) rules.push(rule);
      } catch (e) {
        if (!(e instanceof RulesError)) throw e;
        errors.push(e);
      }
    });
  }
  if (errors.length > MAX_PROBLEMS) {
    const more = errors.length - MAX_PROBLEMS;
    errors.length = MAX_PROBLEMS;
    errors.push(problem('', `and ${more.toLocaleString('en-US')} more problems, not listed`));
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new RuleSetError(errors, file);
  const version =
    typeof doc.version === 'string'
      ? doc.version
      : `sha256:${createHash('sha256').update(JSON.stringify(doc)).digest('hex').slice(0, 12)}`;
  return { version, thresholds, rules, document: structuredClone(doc) as unknown as RulesDocument };
}

const CARD_NUMBER_IN_RULES =
  'holds a card number: rules are stored, shown and copied into decisions, so they must not; match a card by card_token or card_bin instead';

/**
 * The JSON paths (keys masked) of the keys, strings and numbers of a rules document that read as
 * card numbers. Walked with a stack of its own: a hostile document may be nested deeper than
 * the call stack goes.
 */
function cardNumbersIn(doc: Record<string, unknown>): string[] {
  const found: string[] = [];
  const stack: [string, unknown][] = [['', doc]];
  while (stack.length > 0) {
    const [path, value] = stack.pop() as [string, unknown];
    if (typeof value === 'string' || typeof value === 'number') {
      const text = String(value);
      if (maskPansInText(text) !== text) found.push(path);
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push([`${path}[${i}]`, value[i]]);
    } else if (isObject(value)) {
      const entries = Object.entries(value);
      for (const [key] of entries) if (maskPansInText(key) !== key) found.push(pathKey(path, key));
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, v] = entries[i] as [string, unknown];
        stack.push([pathKey(path, key), v]);
      }
    }
  }
  return found;
}

/** `path.key`, the key masked. */
function pathKey(path: string, key: string): string {
  const shown = maskPansInText(key);
  return path === '' ? shown : `${path}.${shown}`;
}

/** Validates and compiles one rule; undefined when it is disabled (it is still fully checked). */
function compileRule(
  r: unknown,
  path: string,
  ids: Set<string>,
  env: CheckEnv,
  file: string | undefined,
): CompiledRule | undefined {
  const problem = (at: string, reason: string): RulesError => new RulesError(`${path}${at}`, reason, file);
  if (!isObject(r)) throw problem('', 'must be an object');
  const id = r.id;
  // Ids are named in every decision's reasons and in error messages: short by rule.
  if (typeof id !== 'string' || !/^[a-z][a-z0-9_]*$/.test(id) || id.length > MAX_ID) {
    throw problem('.id', `must be a snake_case name of at most ${MAX_ID} characters`);
  }
  if (ids.has(id)) throw problem('.id', `"${clip(id)}" is used twice`);
  ids.add(id);
  for (const key of Object.keys(r)) {
    if (RULE_KEYS.includes(key)) continue;
    if (key === 'kind' || key === 'params') {
      throw problem(
        `.${clip(key)}`,
        'rule kinds and params are gone: write the condition in "when", e.g. "when": "amount > 10000"',
      );
    }
    throw problem(`.${clip(key)}`, `is not a rule key (keys: ${RULE_KEYS.join(', ')})`);
  }
  const version = r.version ?? 1;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    throw problem('.version', 'must be a positive integer');
  }
  if (r.description !== undefined && typeof r.description !== 'string')
    throw problem('.description', 'must be a string');
  if (r.enabled !== undefined && typeof r.enabled !== 'boolean') throw problem('.enabled', 'must be true or false');
  const weight = r.weight;
  const action = r.action;
  if (weight !== undefined && action !== undefined) {
    throw problem('', 'has both "weight" and "action": give exactly one');
  }
  if (weight === undefined && action === undefined) {
    throw problem('', `needs a "weight" (0–100) or an "action" (${RULE_ACTIONS.join(', ')})`);
  }
  if (weight !== undefined && (typeof weight !== 'number' || !(weight >= 0 && weight <= 100))) {
    throw problem('.weight', 'must be a number 0–100');
  }
  const act = RULE_ACTIONS.find((a) => a === action);
  if (action !== undefined && act === undefined) {
    throw problem('.action', `must be one of ${RULE_ACTIONS.join(', ')}`);
  }
  const when = r.when;
  if (typeof when !== 'string') {
    throw problem('.when', 'is required: the condition in the rule language, e.g. "amount > 10000"');
  }
  if (r.detail !== undefined && typeof r.detail !== 'string') throw problem('.detail', 'must be a string');
  const description =
    typeof r.description === 'string' && r.description !== '' ? r.description : id.replaceAll('_', ' ');
  const expression = <T>(field: string, compile: () => T): T => {
    try {
      return compile();
    } catch (e) {
      if (e instanceof ExpressionError) throw new RuleExpressionError(`${path}.${field}`, id, e, file);
      throw e;
    }
  };
  const test = expression('when', () => compileCondition(when, env));
  const detailSource = typeof r.detail === 'string' ? r.detail : description;
  const detail = expression('detail', () => compileTemplate(detailSource, env));
  if (r.enabled === false) return undefined;
  return { id, version, description, weight: typeof weight === 'number' ? weight : 0, action: act, when, test, detail };
}

/**
 * Runs every rule of the set over a transaction and its features. Pure: no state, inputs
 * untouched; allocates nothing but the result and the hits (and their details) of rules that fire.
 * @example evaluate(set, tx, features).fired.map((h) => h.rule) // ['high_value']
 */
export function evaluate(set: RuleSet, tx: Transaction, f: Features): Evaluation {
  const fired: RuleHit[] = [];
  const unfired: string[] = [];
  const rules = set.rules;
  for (let i = 0; i < rules.length; i++) {
    const r = rules[i] as CompiledRule;
    if (r.test(tx, f) !== true) unfired.push(r.id);
    else fired.push(hitOf(r, tx, f));
  }
  return { fired, unfired };
}

/**
 * The rules of `set` that fire on `tx`, as {@link evaluate} lists them in `fired`: what scoring
 * needs, without the list of those that did not fire.
 */
export function firedRules(set: RuleSet, tx: Transaction, f: Features): RuleHit[] {
  const fired: RuleHit[] = [];
  const rules = set.rules;
  for (let i = 0; i < rules.length; i++) {
    const r = rules[i] as CompiledRule;
    if (r.test(tx, f) === true) fired.push(hitOf(r, tx, f));
  }
  return fired;
}

/** The hit of a rule that fired. */
function hitOf(r: CompiledRule, tx: Transaction, f: Features): RuleHit {
  // Each field is masked on entry, but a detail can join two fields into a card number.
  const detail = maskPansInText(r.detail(tx, f));
  return r.action === undefined ? { rule: r.id, weight: r.weight, detail } : { rule: r.id, weight: r.weight, detail, action: r.action };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
