import { createHash } from 'node:crypto';
import type { AdminCaller, RulesChange } from '../../src/core/rulesChange.js';
import type { RulesStore } from '../../src/ports/RulesStore.js';

/**
 * A {@link RulesStore} in memory: the active document, and the audit log of its changes (each
 * entry added before the change takes effect, as the adapters do). A version may be activated
 * again with another document, as the rules file allows.
 *
 * @example
 * const rules = new InMemoryRulesStore();
 * await rules.activate('v1', doc, { credential: 'test', remote: null });
 */
export class InMemoryRulesStore implements RulesStore {
  private current: { version: string; document: unknown } | undefined;
  private readonly log: RulesChange[] = [];

  constructor(private readonly now: () => Date = () => new Date()) {}

  async active(): Promise<{ version: string; document: unknown } | undefined> {
    return structuredClone(this.current);
  }

  async activate(version: string, document: unknown, by: AdminCaller): Promise<void> {
    const text = JSON.stringify(document);
    this.log.push({
      at: this.now().toISOString(),
      credential: by.credential,
      remote: by.remote,
      previousVersion: this.current?.version ?? null,
      version,
      digest: `sha256:${createHash('sha256').update(text).digest('hex')}`,
    });
    this.current = { version, document: JSON.parse(text) as unknown };
  }

  async changes(limit: number): Promise<RulesChange[]> {
    return structuredClone([...this.log].reverse().slice(0, Math.max(0, limit)));
  }
}
