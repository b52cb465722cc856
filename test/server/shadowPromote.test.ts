import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStateStore } from '../../src/adapters/local/SqliteStateStore.js';
import { SqliteUserStore } from '../../src/adapters/local/SqliteUserStore.js';
import { addUser } from '../../src/app/consoleAuth.js';
import { loadConfig } from '../../src/config.js';
import { BUNDLED_RULES, createLocalRuntime, type LocalWiring } from '../../src/local/wiring.js';
import { silentLogger } from '../../src/ports/Logger.js';
import { tempDir } from '../helpers/fixtures.js';

const API_KEY = 'client-key-'.padEnd(32, 'c');
const ADMIN_KEY = 'admin-key-'.padEnd(40, 'a');
const PASSWORD = 'a long enough password';
/** The candidate: the bundled rules with lower thresholds, so a high-value payment is blocked instead of reviewed. */
const CANDIDATE_VERSION = 'candidate-9';

interface Client {
  cookie: string;
  csrf: string;
}

describe('PUT /shadow/promote on a fraudmini start with a challenger in shadow', () => {
  let cleanup = () => {};
  let wiring: LocalWiring | undefined;

  afterEach(async () => {
    await wiring?.runtime.stop();
    wiring = undefined;
    cleanup();
  });

  /** A data dir with an analyst and an admin, and a start on it with the candidate rules in shadow. */
  async function started(shadow = true): Promise<{ app: FastifyInstance; dir: string }> {
    const t = tempDir();
    cleanup = t.cleanup;
    const data = join(t.dir, 'data');
    mkdirSync(data);
    const state = new SqliteStateStore({ path: join(data, 'fraudmini.db') });
    const users = new SqliteUserStore({ db: state.db });
    await addUser({ users }, { name: 'ana', role: 'analyst', password: PASSWORD });
    await addUser({ users }, { name: 'root', role: 'admin', password: PASSWORD });
    state.close();
    const bundled = JSON.parse(readFileSync(BUNDLED_RULES, 'utf8')) as Record<string, unknown>;
    const candidate = join(t.dir, 'candidate.json');
    writeFileSync(candidate, JSON.stringify({ ...bundled, version: CANDIDATE_VERSION, thresholds: { review: 30, block: 55 } }));
    const config = loadConfig({ FRAUDMINI_API_KEY: API_KEY, FRAUDMINI_ADMIN_KEY: ADMIN_KEY }, { dataDir: data, port: 0 });
    wiring = createLocalRuntime(config, { logger: silentLogger, ...(shadow ? { shadow: { rulesPath: candidate } } : {}) });
    return { app: wiring.server, dir: wiring.dataDir };
  }

  async function signIn(app: FastifyInstance, username: string): Promise<Client> {
    const res = await app.inject({ method: 'POST', url: '/session', payload: { username, password: PASSWORD } });
    expect(res.statusCode, res.body).toBe(200);
    return { cookie: String(res.headers['set-cookie']).split(';')[0] ?? '', csrf: (res.json() as { csrf_token: string }).csrf_token };
  }

  const promote = (app: FastifyInstance, headers: Record<string, string>) => app.inject({ method: 'PUT', url: '/shadow/promote', headers });

  /** POSTs a high-value payment (the bundled high_value rule fires) and returns its decision. */
  async function decide(app: FastifyInstance, id: string): Promise<{ outcome: string; rules_version: string }> {
    const res = await app.inject({
      method: 'POST',
      url: '/transactions',
      headers: { 'x-api-key': API_KEY },
      payload: { transaction_id: id, timestamp: '2026-03-01T12:00:00Z', account_id: `A-${id}`, amount: '15000.00' },
    });
    expect(res.statusCode, res.body).toBe(201);
    return (res.json() as { decision: { outcome: string; rules_version: string } }).decision;
  }

  it('refuses an analyst and a client key, then an admin session promotes: the next decision uses the promoted rules, audited', async () => {
    // Prepare
    const { app } = await started();
    const ana = await signIn(app, 'ana');
    const root = await signIn(app, 'root');
    const before = await decide(app, 'T1');

    // Act
    const byKey = await promote(app, { 'x-api-key': API_KEY });
    const byAnalyst = await promote(app, { cookie: ana.cookie, 'x-csrf-token': ana.csrf });
    const withoutCsrf = await promote(app, { cookie: root.cookie });
    const stillBefore = await decide(app, 'T2');
    const byAdmin = await promote(app, { cookie: root.cookie, 'x-csrf-token': root.csrf });
    const after = await decide(app, 'T3');
    const audit = await app.inject({ method: 'GET', url: '/rules/audit?limit=1', headers: { 'x-api-key': API_KEY, 'x-admin-key': ADMIN_KEY } });

    // Assess: only the admin got through, and only then did the decisions change
    expect(byKey.statusCode).toBe(401);
    expect(byKey.json()).toMatchObject({ error: 'admin_unauthorized' });
    expect(byAnalyst.statusCode).toBe(403);
    expect(byAnalyst.json()).toMatchObject({ error: 'forbidden' });
    expect(withoutCsrf.statusCode).toBe(403);
    expect(withoutCsrf.json()).toMatchObject({ error: 'csrf_failed' });
    expect(before).toMatchObject({ outcome: 'review', rules_version: 'default-1' });
    expect(stillBefore).toMatchObject({ outcome: 'review', rules_version: 'default-1' });
    expect(byAdmin.statusCode, byAdmin.body).toBe(200);
    expect(byAdmin.json()).toMatchObject({ rules: { version: CANDIDATE_VERSION }, model: null });
    expect(after).toMatchObject({ outcome: 'block', rules_version: CANDIDATE_VERSION });
    expect((audit.json() as { changes: unknown[] }).changes[0]).toMatchObject({ credential: 'user root', version: CANDIDATE_VERSION });
  });

  it('promotes with the admin key, as PUT /rules takes it', async () => {
    // Prepare
    const { app } = await started();

    // Act
    const res = await promote(app, { 'x-api-key': API_KEY, 'x-admin-key': ADMIN_KEY });
    const after = await decide(app, 'K1');

    // Assess
    expect(res.statusCode, res.body).toBe(200);
    expect(after.rules_version).toBe(CANDIDATE_VERSION);
  });

  it('answers 404 when no challenger has run on the data dir, and changes nothing', async () => {
    // Prepare
    const { app, dir } = await started(false);

    // Act
    const res = await promote(app, { 'x-api-key': API_KEY, 'x-admin-key': ADMIN_KEY });
    const after = await decide(app, 'N1');

    // Assess
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ error: 'not_found' });
    expect(after.rules_version).toBe('default-1');
    expect(existsSync(join(dir, 'model.json'))).toBe(false);
  });
});
