import { describe, expect, it } from 'vitest';
import type { RulesChange } from '../../src/core/rulesChange.js';
import type { RulesAuditLog } from '../../src/ports/RulesAuditLog.js';

function change(i: number): RulesChange {
  return {
    at: new Date(Date.UTC(2026, 2, 1, 10, 0, i)).toISOString(),
    credential: `admin-key sha256:0000000${i}`,
    remote: i % 2 === 0 ? '127.0.0.1' : null,
    previousVersion: i === 0 ? null : `v${i - 1}`,
    version: `v${i}`,
    digest: `sha256:${String(i).repeat(64).slice(0, 64)}`,
  };
}

/**
 * The behaviour every {@link RulesAuditLog} promises: entries only added, read newest first.
 * `makeLog` returns a new, empty log on each call.
 *
 * @example
 * describeRulesAuditLogContract('SqliteStateStore', async () => new SqliteStateStore({ path: ':memory:' }));
 */
export function describeRulesAuditLogContract(name: string, makeLog: () => Promise<RulesAuditLog>): void {
  describe(`RulesAuditLog contract: ${name}`, () => {
    it('returns the entries as recorded, newest first, at most a limit', async () => {
      // Prepare
      const log = await makeLog();
      // Act
      const empty = log.rulesChanges(10);
      for (let i = 0; i < 5; i++) log.recordRulesChange(change(i));
      // Assess
      expect(empty).toEqual([]);
      expect(log.rulesChanges(10)).toEqual([4, 3, 2, 1, 0].map(change));
      expect(log.rulesChanges(2)).toEqual([change(4), change(3)]);
    });
  });
}
