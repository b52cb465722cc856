/**
 * The rules workbench's use cases: check a draft rules document as it is typed (every problem with
 * its path, and for an expression its line and column), backtest a draft against the stored,
 * labelled history side by side with the rule set in force, keep the history of every document in
 * force, and put an earlier one back in force (audited like any replacement).
 */
import { RuleExpressionError, RulesError, RuleSetError } from '../core/errors.js';
import { FeatureWindows } from '../core/features.js';
import { LabelFeedback } from '../core/labels.js';
import { compileRuleSet, type RuleSet } from '../core/rules.js';
import type { AdminCaller } from '../core/rulesChange.js';
import { decide } from '../core/scoring.js';
import type { LabelledHistory } from '../ports/LabelledHistory.js';
import type { RulesHistory, RulesVersionRecord } from '../ports/RulesHistory.js';
import { NotFoundError } from './errors.js';
import { rulesDigest, type RulesUseCases } from './replaceRules.js';

/** One problem of a draft: where (`rules[2].when`), which rule, what; an expression's also where in it. */
export interface DraftProblem {
  path: string;
  reason: string;
  rule?: string;
  /** 1-based line and column in the expression, for a problem in `when` or `detail`. */
  line?: number;
  column?: number;
}

/** What checking a draft found: its version when valid, else every problem. */
export type DraftCheck = { ok: true; version: string } | { ok: false; errors: DraftProblem[] };

/**
 * Checks a draft rules document with the same validation publishing applies, without changing
 * anything.
 *
 * @example
 * checkDraft({ version: 'v2', rules: [{ id: 'r', when: 'amount >', weight: 10 }] });
 * // { ok: false, errors: [{ path: 'rules[0].when', rule: 'r', line: 1, column: 9, reason: '…' }] }
 */
export function checkDraft(doc: unknown): DraftCheck {
  try {
    return { ok: true, version: compileRuleSet(doc).version };
  } catch (e) {
    if (!(e instanceof RulesError)) throw e;
    return { ok: false, errors: draftProblems(e) };
  }
}

/** The problems of a refused document, one per entry. */
export function draftProblems(e: RulesError): DraftProblem[] {
  const all = e instanceof RuleSetError ? e.errors : [e];
  return all.map((p) => {
    const out: DraftProblem = { path: p.path, reason: p.reason };
    if (p instanceof RuleExpressionError) {
      if (p.rule !== undefined) out.rule = p.rule;
      out.line = p.line;
      out.column = p.column;
    }
    return out;
  });
}

/** Hits of one rule, or of the flagged transactions (review or block), against the labels. */
export interface HitCounts {
  hits: number;
  /** Hits on transactions labelled fraud. */
  frauds: number;
  /** frauds / hits; null without a hit. */
  precision: number | null;
  /** frauds / all labelled frauds; null without a labelled fraud. */
  recall: number | null;
  /** Amount of the fraudulent transactions hit, in currency units. */
  money_caught: number;
  /** Amount of every transaction hit, in currency units. */
  money_flagged: number;
}

/** One rule set's results over the history. */
export interface SetResult {
  version: string;
  /** Transactions it would send to review or block. */
  flagged: HitCounts;
  review: HitCounts;
  block: HitCounts;
  /** Per rule id, in document order. */
  rules: Record<string, HitCounts>;
}

/** A draft against the rule set in force, on the same transactions and features. */
export interface BacktestComparison {
  /** Transactions replayed (every one shapes the features). */
  transactions: number;
  /** Of them, those with a label: only these are counted. */
  labelled: number;
  frauds: number;
  /** Amount of the labelled frauds, in currency units. */
  fraud_money: number;
  current: SetResult;
  draft: SetResult;
}

/** Counts per key (a rule id, an outcome), in E4 money. */
class Counts {
  private readonly by = new Map<string, { hits: number; frauds: number; caught: number; flagged: number }>();

  add(key: string, fraud: boolean, amount: number): void {
    const c = this.by.get(key) ?? { hits: 0, frauds: 0, caught: 0, flagged: 0 };
    c.hits++;
    c.flagged += amount;
    if (fraud) {
      c.frauds++;
      c.caught += amount;
    }
    this.by.set(key, c);
  }

  get(key: string, frauds: number): HitCounts {
    const c = this.by.get(key) ?? { hits: 0, frauds: 0, caught: 0, flagged: 0 };
    return {
      hits: c.hits,
      frauds: c.frauds,
      precision: c.hits > 0 ? c.frauds / c.hits : null,
      recall: frauds > 0 ? c.frauds / frauds : null,
      money_caught: c.caught / 10_000,
      money_flagged: c.flagged / 10_000,
    };
  }
}

/** Options of {@link backtestDraft}. */
export interface BacktestDraftOptions {
  /** Newest stored transactions replayed at most. @default 200,000 */
  limit?: number;
  /**
   * Feed the labels transactions arrived with back to the features this long after them, as the
   * runtime does when a model is in use; absent: features without labels, as the runtime without one.
   */
  labelDelayMs?: number;
}

/**
 * Replays the stored transactions in the order they were stored, computing their features as
 * scoring did, and counts for the rule set in force and the draft: hits, precision, recall and
 * money caught, per rule and for the flagged transactions. Only labelled transactions are counted
 * (their label in force: the one they arrived with, or one reported since).
 *
 * @example
 * const cmp = await backtestDraft(history, current, compileRuleSet(draft));
 * cmp.draft.flagged.precision; // vs cmp.current.flagged.precision
 */
export async function backtestDraft(
  history: LabelledHistory,
  current: RuleSet,
  draft: RuleSet,
  options: BacktestDraftOptions = {},
): Promise<BacktestComparison> {
  const features = new FeatureWindows(
    options.labelDelayMs !== undefined ? { labels: new LabelFeedback({ delayMs: options.labelDelayMs }) } : {},
  );
  const sets = [current, draft].map((set) => ({ set, rules: new Counts(), outcomes: new Counts() }));
  const at = new Date(0);
  let transactions = 0;
  let labelled = 0;
  let frauds = 0;
  let fraudMoney = 0;
  for await (const { transaction: tx, label } of history.labelledHistory(options.limit ?? 200_000)) {
    transactions++;
    const f = features.observe(tx);
    if (label === undefined) continue;
    labelled++;
    const fraud = label === 1;
    if (fraud) {
      frauds++;
      fraudMoney += tx.amount;
    }
    for (const s of sets) {
      const d = decide(s.set, tx, f, at);
      for (const hit of d.reasons) s.rules.add(hit.rule, fraud, tx.amount);
      s.outcomes.add(d.outcome, fraud, tx.amount);
      if (d.outcome !== 'allow') s.outcomes.add('flagged', fraud, tx.amount);
    }
  }
  const result = (s: (typeof sets)[number]): SetResult => ({
    version: s.set.version,
    flagged: s.outcomes.get('flagged', frauds),
    review: s.outcomes.get('review', frauds),
    block: s.outcomes.get('block', frauds),
    rules: Object.fromEntries(s.set.rules.map((r) => [r.id, s.rules.get(r.id, frauds)])),
  });
  const [cur, dr] = sets as [(typeof sets)[number], (typeof sets)[number]];
  return { transactions, labelled, frauds, fraud_money: fraudMoney / 10_000, current: result(cur), draft: result(dr) };
}

/** A rules document kept in the history, and whether it is the one in force. */
export interface VersionEntry extends RulesVersionRecord {
  active: boolean;
}

/**
 * The history of rule sets and roll-back, over the rules use cases (which validate, audit and
 * activate) and a {@link RulesHistory}. The document in force is kept each time the history is
 * read or a document is published, so an edit of the rules file joins the history too.
 */
export class RulesVersions {
  constructor(
    private readonly rules: RulesUseCases,
    private readonly history: RulesHistory,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** The newest `limit` documents, newest first, the one in force marked. */
  async list(limit: number): Promise<VersionEntry[]> {
    const activeId = await this.keepActive();
    return (await this.history.versions(limit)).map((v) => ({ ...v, active: v.id === activeId }));
  }

  /** A kept document; throws {@link NotFoundError}. */
  async get(id: number): Promise<RulesVersionRecord & { document: unknown }> {
    const found = await this.history.find(id);
    if (!found) throw new NotFoundError(`no rules version ${id}`);
    return found;
  }

  /** Publishes a draft (validated, audited under `by`) and keeps it; returns its version and history id. */
  async publish(doc: unknown, by: AdminCaller): Promise<{ version: string; id: number }> {
    await this.keepActive();
    const { version } = await this.rules.replace(doc, by);
    return { version, id: await this.keepActive() };
  }

  /** Puts the kept document `id` back in force, audited under `by`; throws {@link NotFoundError}. */
  async rollBack(id: number, by: AdminCaller): Promise<{ version: string; id: number }> {
    const found = await this.get(id);
    await this.keepActive();
    const { version } = await this.rules.replace(found.document, by);
    return { version, id: await this.keepActive() };
  }

  /** Keeps the document in force (once per content); returns its id. */
  private async keepActive(): Promise<number> {
    const { version, document } = await this.rules.get();
    return this.history.remember({ version, digest: rulesDigest(document), savedAt: this.now().toISOString(), document });
  }
}
