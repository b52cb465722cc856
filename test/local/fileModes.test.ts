/**
 * The mode of every file and folder fraudmini writes in its data dir (docs/security-files.md).
 * The tests run with umask 0, so a file created without an explicit mode would show as 0666.
 */
import { chmodSync, copyFileSync, existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FolderObjectStore } from '../../src/adapters/local/FolderObjectStore.js';
import { loadConfig } from '../../src/config.js';
import { loadOrCreateTokenKey } from '../../src/local/tokenKey.js';
import { BUNDLED_RULES, createLocalRuntime, DATA_FOLDERS, type LocalWiring } from '../../src/local/wiring.js';
import type { Logger } from '../../src/ports/Logger.js';
import { tempDir } from '../helpers/fixtures.js';

const ADMIN_KEY = 'admin-key-for-modes-0123456789';
const mode = (path: string): string => (statSync(path).mode & 0o777).toString(8).padStart(4, '0');

function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => lines.push(`info ${m}`),
    warn: (m) => lines.push(`warn ${m}`),
    error: (m) => lines.push(`error ${m}`),
  };
}

const quiet = () =>
  new Writable({
    write: (_c, _e, done) => {
      done();
    },
  });

describe('file modes in the data dir', () => {
  let previousUmask: number;
  let dir: string;
  let cleanup: () => void;
  let wiring: LocalWiring | undefined;
  let logger: ReturnType<typeof memoryLogger>;

  beforeEach(() => {
    previousUmask = process.umask(0);
    ({ dir, cleanup } = tempDir());
    logger = memoryLogger();
  });

  afterEach(async () => {
    await wiring?.runtime.stop();
    wiring = undefined;
    process.umask(previousUmask);
    cleanup();
  });

  const boot = (dataDir: string, env: Record<string, string> = {}): LocalWiring => {
    wiring = createLocalRuntime(loadConfig({ FRAUDMINI_ADMIN_KEY: ADMIN_KEY, ...env }, { dataDir, port: 0 }), {
      logger,
      alertOut: quiet(),
    });
    return wiring;
  };

  it('creates the data dir and its folders 0700, and the key, the rules, the database and the alert file 0600', async () => {
    // Prepare
    const dataDir = join(dir, 'data');
    const w = boot(dataDir);

    // Act: a decision with an alert (database and WAL), a rules change, then a clean stop (alerts delivered)
    const post = await w.server.inject({
      method: 'POST',
      url: '/transactions',
      payload: { account_id: 'A1', amount: '25000.00', timestamp: '2026-01-01T12:00:00Z' },
    });
    const put = await w.server.inject({
      method: 'PUT',
      url: '/rules',
      headers: { 'x-admin-key': ADMIN_KEY },
      payload: { version: 'modes-2', rules: [{ id: 'high_value', when: 'amount > 10000', weight: 60 }] },
    });
    const walMode = mode(join(dataDir, 'fraudmini.db-wal'));
    await w.runtime.stop();
    wiring = undefined;

    // Assess
    expect([post.statusCode, put.statusCode]).toEqual([201, 200]);
    expect(mode(dataDir)).toBe('0700');
    for (const f of DATA_FOLDERS) expect({ f, mode: mode(join(dataDir, f)) }).toEqual({ f, mode: '0700' });
    const files = Object.fromEntries(
      ['token.key', 'rules.json', 'fraudmini.db', 'alerts.jsonl'].map((f) => [f, mode(join(dataDir, f))]),
    );
    expect(files).toEqual({ 'token.key': '0600', 'rules.json': '0600', 'fraudmini.db': '0600', 'alerts.jsonl': '0600' });
    expect(walMode).toBe('0600');
    // Nothing else was left at the top of the data dir (no temporary rules file).
    expect(readdirSync(dataDir).filter((f) => !/^fraudmini\.db(-wal|-shm)?$/.test(f)).sort()).toEqual(
      ['alerts.jsonl', ...DATA_FOLDERS, 'rules.json', 'token.key'].sort(),
    );
  });

  it('narrows a rules.json in the data dir that others may read or write to 0600, and says so', () => {
    // Prepare
    copyFileSync(BUNDLED_RULES, join(dir, 'rules.json'));
    chmodSync(join(dir, 'rules.json'), 0o666);

    // Act
    boot(dir);

    // Assess
    expect(mode(join(dir, 'rules.json'))).toBe('0600');
    expect(logger.lines.some((l) => l.startsWith('warn') && l.includes('rules.json') && l.includes('0666') && l.includes('0600'))).toBe(true);
  });

  it('leaves a rules file given with FRAUDMINI_RULES as it is, and warns when others may write it', () => {
    // Prepare
    const own = join(dir, 'my-rules.json');
    copyFileSync(BUNDLED_RULES, own);
    chmodSync(own, 0o664);

    // Act
    boot(join(dir, 'data'), { FRAUDMINI_RULES: own });

    // Assess
    expect(mode(own)).toBe('0664');
    expect(existsSync(join(dir, 'data', 'rules.json'))).toBe(false);
    const warning = logger.lines.find((l) => l.startsWith('warn') && l.includes('my-rules.json'));
    expect(warning).toContain('without the admin key');
  });

  it('writes results (masked copies, receipts) 0600 through the folder store', async () => {
    // Prepare
    const store = new FolderObjectStore({ root: dir });

    // Act
    await store.write('processed/batch.csv', 'a,b\n');
    await store.write('processed/batch.csv.receipt.json', '{}');

    // Assess
    expect(mode(join(dir, 'processed', 'batch.csv'))).toBe('0600');
    expect(mode(join(dir, 'processed', 'batch.csv.receipt.json'))).toBe('0600');
  });

  it('makes token.key 0600 even when it exists with a looser mode', () => {
    // Prepare
    writeFileSync(join(dir, 'token.key'), `${'ab'.repeat(32)}\n`, { mode: 0o644 });

    // Act
    boot(dir);

    // Assess
    expect(mode(join(dir, 'token.key'))).toBe('0600');
  });

  it('creates a data dir 0700 also when only the token key needs it (fraudmini score)', () => {
    // Prepare
    const dataDir = join(dir, 'score-data');

    // Act
    loadOrCreateTokenKey(dataDir, undefined);

    // Assess
    expect(mode(dataDir)).toBe('0700');
    expect(mode(join(dataDir, 'token.key'))).toBe('0600');
  });
});
