import type { RulesChange } from '../core/rulesChange.js';

/**
 * The audit log of rule changes, kept in the local database. Entries are only ever added.
 *
 * @example
 * log.recordRulesChange({ at, credential: caller.credential, remote: caller.remote, previousVersion, version, digest });
 * log.rulesChanges(20); // newest first
 */
export interface RulesAuditLog {
  /** Adds an entry; throws when it cannot be stored (the change must then not happen). */
  recordRulesChange(change: RulesChange): void;
  /** The newest `limit` entries, newest first. */
  rulesChanges(limit: number): RulesChange[];
}
