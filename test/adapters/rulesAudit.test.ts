import { createHash } from 'node:crypto';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileRulesSource } from '../../src/adapters/local/FileRulesSource.js';
import { readRulesChanges, SCHEMA_VERSION, SqliteStateStore } from '../../src/adapters/local/SqliteStateStore.js';
import { BUNDLED_RULES } from '../../src/local/wiring.js';
import { silentLogger } from '../../src/ports/Logger.js';
import type { RulesChange } from '../../src/core/rulesChange.js';
import { tempDir } from '../helpers/fixtures.js';

const ADMIN = { credential: 'admin-key sha256:0123abcd', remote: '192.0.2.10' };
const doc = (version: string) => ({ version, rules: [{ id: 'high_value', when: 'amount > 10000', weight: 60 }] });
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

const change = (n: number): RulesChange => ({
  at: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
  credential: ADMIN.credential,
  remote: ADMIN.remote,
  previousVersion: n === 0 ? null : `v${n - 1}`,
  version: `v${n}`,
  digest: sha256(`v${n}`),
});

describe('rules audit log in SQLite', () => {
  let dir: string;
  let cleanup: () => void;
  let path: string;

  beforeEach(() => {
    ({ dir, cleanup } = tempDir());
    path = join(dir, 'fraudmini.db');
  });
  afterEach(() => cleanup());

  it('keeps every change across a reopen and lists the newest first', () => {
    // Prepare
    const store = new SqliteStateStore({ path });
    for (let n = 0; n < 5; n++) store.recordRulesChange(change(n));
    store.close();

    // Act
    const again = new SqliteStateStore({ path });
    const newest = again.rulesChanges(3);
    again.close();

    // Assess
    expect(newest).toEqual([change(4), change(3), change(2)]);
    expect(readRulesChanges(path, 100)).toEqual([4, 3, 2, 1, 0].map(change));
  });

  it(`upgrades a version 2 database to ${SCHEMA_VERSION}: adds the audit table and keeps the data`, async () => {
    // Prepare: a current database with the audit table removed and the version put back to 2
    const store = new SqliteStateStore({ path });
    await store.setDeliveryCursor('webhook', 42);
    store.close();
    const old = new Database(path);
    old.exec('DROP TABLE rules_audit');
    old.pragma('user_version = 2');
    old.close();

    // Act
    const upgraded = new SqliteStateStore({ path });
    upgraded.recordRulesChange(change(0));

    // Assess
    expect(upgraded.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(await upgraded.deliveryCursor('webhook')).toBe(42);
    expect(upgraded.rulesChanges(10)).toEqual([change(0)]);
    upgraded.close();
  });
});

describe('FileRulesSource with an audit log', () => {
  let dir: string;
  let cleanup: () => void;
  let rulesPath: string;
  let state: SqliteStateStore;
  let rules: FileRulesSource;

  beforeEach(() => {
    ({ dir, cleanup } = tempDir());
    rulesPath = join(dir, 'rules.json');
    copyFileSync(BUNDLED_RULES, rulesPath);
    state = new SqliteStateStore({ path: join(dir, 'fraudmini.db') });
    rules = new FileRulesSource(rulesPath, silentLogger, { audit: state });
  });

  afterEach(() => {
    rules.close();
    state.close();
    cleanup();
  });

  it('records the rule set found at start, then each replacement with who, from where, before and after', () => {
    // Act
    rules.replace(doc('v2'), ADMIN);
    rules.replace(doc('v3'), ADMIN);

    // Assess
    const [third, second, first] = state.rulesChanges(10);
    expect(first).toMatchObject({ credential: 'rules file', remote: null, previousVersion: null, version: 'default-1' });
    expect(first?.digest).toBe(sha256(readFileSync(BUNDLED_RULES, 'utf8')));
    expect(second).toMatchObject({ ...ADMIN, previousVersion: 'default-1', version: 'v2' });
    expect(third).toMatchObject({ ...ADMIN, previousVersion: 'v2', version: 'v3' });
    // The digest is the file's own: `sha256sum rules.json` gives the same.
    expect(third?.digest).toBe(sha256(readFileSync(rulesPath, 'utf8')));
    expect(Date.parse(third?.at ?? '')).not.toBeNaN();
  });

  it('records an edit of the file when it is reloaded, and nothing for its own writes or an unchanged file', () => {
    // Prepare
    rules.replace(doc('v2'), ADMIN);
    const text = `${JSON.stringify(doc('hand-edit'), null, 2)}\n`;

    // Act
    rules.reload();
    writeFileSync(rulesPath, text);
    rules.reload();
    rules.reload();

    // Assess
    const changes = state.rulesChanges(10);
    expect(changes.map((c) => c.version)).toEqual(['hand-edit', 'v2', 'default-1']);
    expect(changes[0]).toMatchObject({ credential: 'rules file', remote: null, previousVersion: 'v2', digest: sha256(text) });
  });

  it('records a change made to the file while fraudmini was stopped, once, at the next start', () => {
    // Prepare
    rules.close();
    writeFileSync(rulesPath, JSON.stringify(doc('offline')));

    // Act
    rules = new FileRulesSource(rulesPath, silentLogger, { audit: state });
    const restartedAgain = new FileRulesSource(rulesPath, silentLogger, { audit: state });

    // Assess
    expect(state.rulesChanges(10).map((c) => [c.previousVersion, c.version])).toEqual([
      ['default-1', 'offline'],
      [null, 'default-1'],
    ]);
    expect(restartedAgain.current().version).toBe('offline');
  });

  it('changes nothing, neither the file nor the set in force, when the change cannot be recorded', () => {
    // Prepare
    const before = readFileSync(rulesPath, 'utf8');
    state.db.exec('DROP TABLE rules_audit');

    // Act
    const attempt = () => rules.replace(doc('unaudited'), ADMIN);

    // Assess
    expect(attempt).toThrow();
    expect(readFileSync(rulesPath, 'utf8')).toBe(before);
    expect(rules.current().version).toBe('default-1');
  });
});
