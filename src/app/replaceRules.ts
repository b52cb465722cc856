/**
 * The rules use cases behind `GET /rules`, `PUT /rules` and `GET /rules/audit`, on any
 * {@link RulesStore}: read the rule set in force, replace it (validated whole first, the change
 * audited before it takes effect), list the audit log.
 */
import { compileRuleSet, type RuleSet } from '../core/rules.js';
import type { AdminCaller, RulesChange } from '../core/rulesChange.js';
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

/** The rules use cases over `store`; `current` is the rule set in force (the fallback before any activation). */
export function rulesUseCases(store: RulesStore, current: () => RuleSet | Promise<RuleSet>): RulesUseCases {
  return {
    get: async () => {
      const active = await store.active();
      if (active) return active;
      const set = await current();
      return { version: set.version, document: set.document };
    },
    replace: async (doc, by) => {
      const set = compileRuleSet(doc);
      await store.activate(set.version, doc, by);
      return { version: set.version };
    },
    changes: (limit) => store.changes(limit),
  };
}
