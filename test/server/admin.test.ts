import { createHash } from 'node:crypto';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileRulesSource } from '../../src/adapters/local/FileRulesSource.js';
import { SqliteStateStore } from '../../src/adapters/local/SqliteStateStore.js';
import { FeatureWindows } from '../../src/core/features.js';
import { createPanTokenizer } from '../../src/core/pan.js';
import { loadConfig } from '../../src/config.js';
import { BUNDLED_RULES, createLocalRuntime } from '../../src/local/wiring.js';
import { type Logger, silentLogger } from '../../src/ports/Logger.js';
import { buildServer, type ServerDeps } from '../../src/server/buildServer.js';
import { tempDir } from '../helpers/fixtures.js';

const API_KEY = 'client-key-'.padEnd(32, 'c');
const ADMIN_KEY = 'admin-key-'.padEnd(40, 'a');

/** A rules document that allows everything: what an attacker holding only the client key would send. */
const allowEverything = (version: string) => ({ version, rules: [{ id: 'nothing', when: 'amount < 0', weight: 1 }] });

function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => lines.push(`info ${m}`),
    warn: (m) => lines.push(`warn ${m}`),
    error: (m) => lines.push(`error ${m}`),
  };
}

describe('admin credential for rule changes', () => {
  let dir: string;
  let cleanup: () => void;
  let rulesPath: string;
  let rules: FileRulesSource;
  let state: SqliteStateStore;
  let logger: ReturnType<typeof memoryLogger>;
  let app: FastifyInstance;

  const build = (over: Partial<ServerDeps> = {}): FastifyInstance =>
    buildServer({
      decisions: state,
      features: new FeatureWindows(),
      rules: () => rules.current(),
      rulesStore: rules,
      tokenizer: createPanTokenizer('admin-test-key-0123456789'),
      logger,
      ...over,
    });

  beforeEach(() => {
    ({ dir, cleanup } = tempDir());
    rulesPath = join(dir, 'rules.json');
    copyFileSync(BUNDLED_RULES, rulesPath);
    logger = memoryLogger();
    state = new SqliteStateStore({ path: ':memory:' });
    rules = new FileRulesSource(rulesPath, logger, { audit: state });
  });

  afterEach(async () => {
    await app.close();
    rules.close();
    state.close();
    cleanup();
  });

  const put = (headers: Record<string, string>, version = 'evil-1') =>
    app.inject({ method: 'PUT', url: '/rules', payload: allowEverything(version), headers });

  it('refuses PUT /rules with 403 and says how to enable it when no admin key is configured, even on loopback without an API key', async () => {
    // Prepare
    app = build();
    const before = readFileSync(rulesPath, 'utf8');

    // Act
    const res = await put({});

    // Assess
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ error: 'admin_disabled' });
    expect(res.json().message).toContain('--admin-key');
    expect(res.json().message).toContain('FRAUDMINI_ADMIN_KEY');
    expect(rules.current().version).toBe('default-1');
    expect(readFileSync(rulesPath, 'utf8')).toBe(before);
  });

  it('refuses PUT /rules to the client key alone, or with a wrong admin key, and takes it with both keys', async () => {
    // Prepare
    app = build({ apiKey: API_KEY, admin: { adminKey: ADMIN_KEY } });

    // Act
    const clientOnly = await put({ 'x-api-key': API_KEY });
    const wrongAdmin = await put({ 'x-api-key': API_KEY, 'x-admin-key': `${ADMIN_KEY}x` });
    const clientKeyAsAdmin = await put({ 'x-api-key': API_KEY, 'x-admin-key': API_KEY });
    const adminOnly = await put({ 'x-admin-key': ADMIN_KEY });
    const versionAfterRefusals = rules.current().version;
    const both = await put({ 'x-api-key': API_KEY, 'x-admin-key': ADMIN_KEY }, 'admin-1');

    // Assess
    expect([clientOnly, wrongAdmin, clientKeyAsAdmin].map((r) => r.statusCode)).toEqual([401, 401, 401]);
    expect(clientOnly.json()).toEqual({ error: 'admin_unauthorized', message: 'missing or wrong x-admin-key header' });
    // Without the client key the request stops at the API key check, as every other route does.
    expect(adminOnly.statusCode).toBe(401);
    expect(adminOnly.json().message).toBe('missing or wrong x-api-key header');
    expect(versionAfterRefusals).toBe('default-1');
    expect(both.statusCode).toBe(200);
    expect(rules.current().version).toBe('admin-1');
  });

  it('needs only the admin key for PUT /rules when no API key is configured (loopback)', async () => {
    // Prepare
    app = build({ admin: { adminKey: ADMIN_KEY } });

    // Act
    const without = await put({});
    const withKey = await put({ 'x-admin-key': ADMIN_KEY }, 'admin-2');

    // Assess
    expect(without.statusCode).toBe(401);
    expect(withKey.statusCode).toBe(200);
    expect(rules.current().version).toBe('admin-2');
  });

  it('keeps the other routes on the client key: GET /rules and POST /transactions need no admin key', async () => {
    // Prepare
    app = build({ apiKey: API_KEY, admin: { adminKey: ADMIN_KEY } });

    // Act
    const get = await app.inject({ method: 'GET', url: '/rules', headers: { 'x-api-key': API_KEY } });
    const post = await app.inject({
      method: 'POST',
      url: '/transactions',
      headers: { 'x-api-key': API_KEY },
      payload: { account_id: 'A1', amount: '10.00', timestamp: '2026-01-01T12:00:00Z' },
    });

    // Assess
    expect(get.statusCode).toBe(200);
    expect(post.statusCode).toBe(201);
  });

  it('logs a refused admin request with the remote address and never the key it was given', async () => {
    // Prepare
    app = build({ admin: { adminKey: ADMIN_KEY } });
    const guess = 'guessed-admin-key-0000000000';

    // Act
    await put({ 'x-admin-key': guess });

    // Assess
    const refused = logger.lines.filter((l) => l.startsWith('warn') && l.includes('PUT /rules'));
    expect(refused).toHaveLength(1);
    expect(refused[0]).toContain('127.0.0.1');
    expect(logger.lines.join('\n')).not.toContain(guess);
    expect(logger.lines.join('\n')).not.toContain(ADMIN_KEY);
  });

  it('records each PUT /rules with the admin key\'s fingerprint and the remote address, never the key', async () => {
    // Prepare
    app = build({ apiKey: API_KEY, admin: { adminKey: ADMIN_KEY } });
    const fingerprint = createHash('sha256').update(ADMIN_KEY).digest('hex').slice(0, 8);

    // Act
    await put({ 'x-api-key': API_KEY, 'x-admin-key': ADMIN_KEY }, 'audited-1');
    await put({ 'x-api-key': API_KEY }, 'refused-1');
    await put({ 'x-api-key': API_KEY, 'x-admin-key': ADMIN_KEY }, 'audited-2');
    const res = await app.inject({
      method: 'GET',
      url: '/rules/audit?limit=2',
      headers: { 'x-api-key': API_KEY, 'x-admin-key': ADMIN_KEY },
    });

    // Assess
    expect(res.statusCode).toBe(200);
    const { changes } = res.json() as { changes: Record<string, unknown>[] };
    expect(changes).toEqual([
      expect.objectContaining({ credential: `admin-key sha256:${fingerprint}`, remote: '127.0.0.1', previous_version: 'audited-1', version: 'audited-2' }),
      expect.objectContaining({ credential: `admin-key sha256:${fingerprint}`, remote: '127.0.0.1', previous_version: 'default-1', version: 'audited-1' }),
    ]);
    expect(changes[0]?.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(Date.parse(String(changes[0]?.at))).not.toBeNaN();
    expect(JSON.stringify(state.rulesChanges(100))).not.toContain(ADMIN_KEY);
    expect(state.rulesChanges(100).map((c) => c.version)).toEqual(['audited-2', 'audited-1', 'default-1']);
  });

  it('serves GET /rules/audit to the admin only', async () => {
    // Prepare
    app = build({ apiKey: API_KEY, admin: { adminKey: ADMIN_KEY } });
    const audit = (headers: Record<string, string>, query = '') =>
      app.inject({ method: 'GET', url: `/rules/audit${query}`, headers });

    // Act
    const client = await audit({ 'x-api-key': API_KEY });
    const admin = await audit({ 'x-api-key': API_KEY, 'x-admin-key': ADMIN_KEY });
    const badLimit = await audit({ 'x-api-key': API_KEY, 'x-admin-key': ADMIN_KEY }, '?limit=0');
    await app.close();
    app = build();
    const disabled = await audit({});

    // Assess
    expect(client.statusCode).toBe(401);
    expect(admin.statusCode).toBe(200);
    expect(admin.json().changes.map((c: { version: string }) => c.version)).toEqual(['default-1']);
    expect(badLimit.statusCode).toBe(400);
    expect(disabled.statusCode).toBe(403);
  });

  it('accepts an admin caller vouched for by the platform (AWS IAM) and refuses a request without one', async () => {
    // Prepare: the caller function stands for the API Gateway identity the Lambda handler reads
    const platform: { caller?: string } = {};
    app = build({ admin: { caller: () => platform.caller } });

    // Act
    const anonymous = await put({});
    platform.caller = 'iam arn:aws:iam::123456789012:user/rules-admin';
    const vouched = await put({}, 'iam-1');

    // Assess
    expect(anonymous.statusCode).toBe(403);
    expect(anonymous.json().error).toBe('admin_forbidden');
    expect(vouched.statusCode).toBe(200);
    expect(rules.current().version).toBe('iam-1');
  });
});

describe('admin key in the local runtime (fraudmini start)', () => {
  it.each([
    ['FRAUDMINI_ADMIN_KEY set', { FRAUDMINI_ADMIN_KEY: ADMIN_KEY }, 200],
    ['no admin key', {}, 403],
  ])('PUT /rules with x-admin-key: %s', async (_, env, status) => {
    // Prepare
    const t = tempDir();
    const wiring = createLocalRuntime(loadConfig(env, { dataDir: t.dir, port: 0 }), { logger: silentLogger });
    try {
      // Act
      const res = await wiring.server.inject({
        method: 'PUT',
        url: '/rules',
        payload: allowEverything('wired-1'),
        headers: { 'x-admin-key': ADMIN_KEY },
      });

      // Assess
      expect(res.statusCode).toBe(status);
    } finally {
      await wiring.runtime.stop();
      t.cleanup();
    }
  });
});
