/**
 * The rules use cases behind `GET /rules`, `PUT /rules` and `GET /rules/audit`, on any
 * {@link RulesStore}: read the rule set in force, replace it (validated whole first, the change
 * audited before it takes effect, and kept in the history of rule sets when there is one), list
 * the audit log.
 */
import { createHash } from 'node:crypto';
import { compileRuleSet, type RuleSet } from '../core/rules.js';
import type { AdminCaller, RulesChange } from '../core/rulesChange.js';
import type { RulesHistory } from '../ports/RulesHistory.js';
import type { RulesStore } from '../ports/RulesStore.js';

/** Reading, replacing and auditing the rule set. */
export interface RulesUseCases {
  /** The document in force: the last one activated, or the bundled default before any. */
  get(): Promise<{ version: string; document: unknown }>;
  /**
   * Validates `doc` (throwing `RulesError` with every problem, changing nothing, when invalid),
   * records the change with its caller in the audit log, persists and activates it.
   */
  replace(doc: unknown, by: AdminCaller): Promise<{ version: string }>;
  /** The newest `limit` entries of the audit log, newest first. */
  changes(limit: number): Promise<RulesChange[]>;
}

/** SHA-256 (hex) of a rules document's JSON: what the history of rule sets tells documents apart by. */
export function rulesDigest(document: unknown): string {
  return createHash('sha256').update(JSON.stringify(document)).digest('hex');
}

/**
 * The rules use cases over `store`; `current` is the rule set in force (the fallback before any
 * activation). With a `history`, a replacement keeps the document it replaces (one put in force
 * by an edit of the rules file, or the bundled default, would be missing otherwise) and the new
 * one, whichever route replaced it, so that any can be put back in force.
 *
 * @example
 * const rules = rulesUseCases(fileRules, () => fileRules.current(), new SqliteRulesWorkbench({ db }));
 * await rules.replace(document, { credential: 'user root', remote: '127.0.0.1' });
 */
export function rulesUseCases(
  store: RulesStore,
  current: () => RuleSet | Promise<RuleSet>,
  history?: RulesHistory,
  now: () => Date = () => new Date(),
): RulesUseCases {
  const get = async (): Promise<{ version: string; document: unknown }> => {
    const active = await store.active();
    if (active) return active;
    const set = await current();
    return { version: set.version, document: set.document };
  };
  const keepInForce = async (): Promise<void> => {
    if (!history) return;
    const { version, document } = await get();
    await history.remember({ version, digest: rulesDigest(document), savedAt: now().toISOString(), document });
  };
  return {
    get,
    replace: async (doc, by) => {
      const set = compileRuleSet(doc);
      await keepInForce();
      await store.activate(set.version, doc, by);
      await keepInForce();
      return { version: set.version };
    },
    changes: (limit) => store.changes(limit),
  };
}
