import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { CachedRules, DynamoRulesStore } from '../../src/adapters/aws/DynamoRulesStore.js';
import { RulesVersionConflictError } from '../../src/adapters/aws/DynamoErrors.js';
import type { Logger } from '../../src/ports/Logger.js';
import { emulatorClients, uniqueName } from './clients.js';
import { createTables, type TableNames } from './dynamoTables.js';

const ADMIN = { credential: 'iam arn:aws:iam::123456789012:user/rules-admin', remote: '198.51.100.4' };

const DEFAULT_RULES = JSON.parse(readFileSync(new URL('../../rules/default.json', import.meta.url), 'utf8')) as unknown;

function doc(version: string, weight = 60): Record<string, unknown> {
  return {
    version,
    description: '',
    thresholds: { review: 50, block: 80 },
    rules: [{ id: 'high_value', when: 'amount > 10000', weight, detail: 'amount {amount} over 10000' }],
  };
}

/** A logger that keeps what it was told. */
function recordingLogger(): Logger & { lines: { level: string; message: string }[] } {
  const lines: { level: string; message: string }[] = [];
  return {
    lines,
    info: (message) => lines.push({ level: 'info', message }),
    warn: (message) => lines.push({ level: 'warn', message }),
    error: (message) => lines.push({ level: 'error', message }),
  };
}

describe('DynamoRulesStore', () => {
  const clients = emulatorClients();
  let tables: TableNames;
  const store = (): DynamoRulesStore => new DynamoRulesStore({ client: clients.dynamo, stateTable: tables.state });

  beforeAll(async () => {
    tables = await createTables(clients.dynamo, uniqueName('rules'));
  });

  it('activates versions, keeps them all and refuses to redefine one with another document', async () => {
    // Prepare
    const s = store();
    // Act
    const none = await s.active();
    await s.activate('v1', doc('v1'), ADMIN);
    await s.activate('v2', doc('v2', 70), ADMIN);
    // Same version, same document (keys in another order): re-points active.
    await s.activate('v1', { rules: doc('v1').rules, version: 'v1', thresholds: { block: 80, review: 50 }, description: '' }, ADMIN);
    const redefine = s.activate('v2', doc('v2', 10), ADMIN);
    // Assess
    expect(none).toBeUndefined();
    await expect(redefine).rejects.toBeInstanceOf(RulesVersionConflictError);
    expect(await s.active()).toEqual({ version: 'v1', document: { rules: doc('v1').rules, version: 'v1', thresholds: { block: 80, review: 50 }, description: '' } });
    const versions = await s.versions();
    expect(versions.map((v) => v.version)).toEqual(['v1', 'v2']);
    expect(versions[1]?.document).toEqual(doc('v2', 70));
  });
});

describe('DynamoRulesStore: audit log', () => {
  const clients = emulatorClients();

  it('records who activated which version after which, newest first; a refused redefinition leaves no entry', async () => {
    // Prepare
    const tables = await createTables(clients.dynamo, uniqueName('rules-audit'));
    let clock = Date.UTC(2026, 0, 1);
    const s = new DynamoRulesStore({ client: clients.dynamo, stateTable: tables.state, now: () => clock });
    const other = { credential: 'iam arn:aws:sts::123456789012:assumed-role/Ops/bob', remote: '198.51.100.9' };

    // Act
    await s.activate('v1', doc('v1'), ADMIN);
    clock += 1000;
    await s.activate('v2', doc('v2', 70), other);
    clock += 1000;
    await expect(s.activate('v1', doc('v1', 5), other)).rejects.toBeInstanceOf(RulesVersionConflictError);
    // Two activations in the same millisecond are two entries.
    await s.activate('v1', doc('v1'), ADMIN);
    await s.activate('v2', doc('v2', 70), ADMIN);
    const newest = await s.changes(3);
    const all = await s.changes(100);

    // Assess
    expect(all.map((c) => [c.credential, c.previousVersion, c.version])).toEqual([
      [ADMIN.credential, 'v1', 'v2'],
      [ADMIN.credential, 'v2', 'v1'],
      [other.credential, 'v1', 'v2'],
      [ADMIN.credential, null, 'v1'],
    ]);
    expect(newest).toEqual(all.slice(0, 3));
    expect(all[2]).toMatchObject({ remote: other.remote, at: new Date(Date.UTC(2026, 0, 1) + 1000).toISOString() });
    expect(all[0]?.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(all[0]?.digest).toBe(all[2]?.digest);
    expect(all[0]?.digest).not.toBe(all[1]?.digest);
  });
});

describe('CachedRules', () => {
  it('re-reads the store only after the TTL, on an injected clock', async () => {
    // Prepare
    let reads = 0;
    let active: { version: string; document: unknown } | undefined = { version: 'v1', document: doc('v1') };
    const cached = new CachedRules({
      store: {
        active: () => {
          reads++;
          return Promise.resolve(active);
        },
      },
      ttlMs: 30_000,
    });
    // Act / Assess
    expect((await cached.get(0)).version).toBe('v1');
    active = { version: 'v2', document: doc('v2') };
    expect((await cached.get(29_999)).version).toBe('v1');
    expect(reads).toBe(1);
    expect((await cached.get(30_000)).version).toBe('v2');
    expect(reads).toBe(2);
    const [a, b] = await Promise.all([cached.get(70_000), cached.get(70_001)]);
    expect(a).toBe(b);
    expect(reads).toBe(3);
  });

  it('keeps the last good set when the stored document does not compile, and logs it', async () => {
    // Prepare
    const logger = recordingLogger();
    let active: { version: string; document: unknown } = { version: 'v1', document: doc('v1') };
    const cached = new CachedRules({ store: { active: () => Promise.resolve(active) }, ttlMs: 1_000, logger });
    const good = await cached.get(0);
    active = { version: 'v2', document: { version: 'v2', rules: [{ id: 'broken', when: 'amount >', weight: 10 }] } };
    // Act
    const kept = await cached.get(5_000);
    active = { version: 'v3', document: doc('v3') };
    const fixed = await cached.get(10_000);
    // Assess
    expect(kept).toBe(good);
    expect(logger.lines.filter((l) => l.level === 'error')).toHaveLength(1);
    expect(logger.lines[0]?.message).toContain('does not compile');
    expect(fixed.version).toBe('v3');
  });

  it('uses the bundled default rules while the table has none, and fails without a fallback', async () => {
    // Prepare
    const clients = emulatorClients();
    const tables = await createTables(clients.dynamo, uniqueName('rules-empty'));
    const s = new DynamoRulesStore({ client: clients.dynamo, stateTable: tables.state });
    const withDefault = new CachedRules({ store: s, fallback: DEFAULT_RULES, ttlMs: 1_000 });
    const bare = new CachedRules({ store: s });
    // Act
    const fallback = await withDefault.get(0);
    await s.activate('mine', doc('mine'), ADMIN);
    const stillCached = await withDefault.get(999);
    const after = await withDefault.get(1_000);
    // Assess
    expect(fallback.version).toBe((DEFAULT_RULES as { version: string }).version);
    expect(stillCached).toBe(fallback);
    expect(after.version).toBe('mine');
    await expect(new CachedRules({ store: { active: () => Promise.resolve(undefined) } }).get(0)).rejects.toThrow(/no fallback/);
    expect((await bare.get(0)).version).toBe('mine');
  });
});
