import type { AdminCaller, RulesChange } from '../core/rulesChange.js';

/**
 * The active rule set, as a versioned document with an audit log of its changes: the rules file
 * locally, the rules table on AWS. Callers validate a document (`compileRuleSet`) before they
 * activate it.
 *
 * @example
 * const set = compileRuleSet(doc); // throws RulesError when invalid
 * await rules.activate(set.version, doc, caller);
 */
export interface RulesStore {
  /** The active document and its version, or undefined before the first activation. */
  active(): Promise<{ version: string; document: unknown } | undefined>;
  /**
   * Makes a validated document active, recording the change with `by` in the audit log before
   * it takes effect: no change is in force without its entry. A store that keeps every version
   * may refuse to reuse a version for another document.
   */
  activate(version: string, document: unknown, by: AdminCaller): Promise<void>;
  /** The newest `limit` entries of the audit log of rule changes, newest first. */
  changes(limit: number): Promise<RulesChange[]>;
}
