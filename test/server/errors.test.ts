import { copyFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ERROR_CODES, type ErrorCode, InvalidJsonError } from '../../src/app/errors.js';
import { FileRulesSource, loadRulesFile } from '../../src/adapters/local/FileRulesSource.js';
import { SqliteSessionStore } from '../../src/adapters/local/SqliteSessionStore.js';
import { SqliteReviewStore } from '../../src/adapters/local/SqliteReviewStore.js';
import { SqliteStateStore } from '../../src/adapters/local/SqliteStateStore.js';
import { SqliteUserStore } from '../../src/adapters/local/SqliteUserStore.js';
import { addUser } from '../../src/app/consoleAuth.js';
import { FeatureWindows } from '../../src/core/features.js';
import { createPanTokenizer } from '../../src/core/pan.js';
import { BUNDLED_RULES, CONSOLE_ASSETS } from '../../src/local/wiring.js';
import { type Logger, silentLogger } from '../../src/ports/Logger.js';
import { buildServer, parseJsonBody, type ServerDeps } from '../../src/server/buildServer.js';
import { tempDir } from '../helpers/fixtures.js';
import { canaries, leakedPans } from '../security/panShapes.js';

const transaction = (over: Record<string, unknown> = {}) => ({
  transaction_id: 'err-1',
  timestamp: '2026-03-01T10:00:00Z',
  account_id: 'ACC-1',
  amount: '12.00',
  ...over,
});

describe('HTTP errors outside the routes', () => {
  let state: SqliteStateStore;
  let app: FastifyInstance;

  const build = (over: Partial<ServerDeps> = {}): FastifyInstance => {
    const rules = loadRulesFile(BUNDLED_RULES);
    return buildServer({
      decisions: state,
      features: new FeatureWindows(),
      rules: () => rules,
      tokenizer: createPanTokenizer('errors-test-key-0123456789'),
      logger: silentLogger,
      labelTransaction: async (id, label) =>
        (await state.getTransaction(id)) ? { status: 'recorded', label, knownAt: 0 } : { status: 'not_found' },
      ...over,
    });
  };

  beforeEach(() => {
    state = new SqliteStateStore({ path: ':memory:' });
    app = build();
  });

  afterEach(async () => {
    await app.close();
    state.close();
  });

  it('answers a path no route serves with 404 not_found, never repeating a card number in it', async () => {
    const shapes = canaries();
    for (const c of shapes) {
      // Act
      const res = await app.inject({ method: 'GET', url: `/cards/${encodeURIComponent(c.text)}` });

      // Assess
      expect(res.statusCode, c.shape).toBe(404);
      expect(res.json(), c.shape).toMatchObject({ error: 'not_found', message: expect.stringMatching(/^no route GET \/cards\//) });
      expect(leakedPans(res.body, [c.pan]), `${c.shape}: ${res.body}`).toEqual([]);
    }
  });

  it('answers a path that is not valid percent-encoding with 400 bad_request, never repeating a card number in it', async () => {
    // Act
    const res = await app.inject({ method: 'GET', url: '/transactions/4111111111111111%' });

    // Assess
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ error: 'bad_request', message: expect.any(String) });
    expect(leakedPans(res.body, ['4111111111111111'])).toEqual([]);
  });

  it('reads and labels a transaction by the longest id it accepts, whatever its characters', async () => {
    for (const id of ['i'.repeat(256), 'é'.repeat(256), '€/?#'.repeat(64)]) {
      // Prepare
      const posted = await app.inject({ method: 'POST', url: '/transactions', payload: transaction({ transaction_id: id }) });
      const path = `/transactions/${encodeURIComponent(id)}`;

      // Act
      const read = await app.inject({ method: 'GET', url: path });
      const labelled = await app.inject({ method: 'POST', url: `${path}/label`, payload: { label: 'fraud' } });

      // Assess
      expect(posted.statusCode).toBe(201);
      expect(read.statusCode, read.body).toBe(200);
      expect(read.json().transaction.transaction_id).toBe(id);
      expect(labelled.statusCode, labelled.body).toBe(201);
    }
  });

  it('refuses GET /alerts with since or limit given twice, as it refuses any other malformed value', async () => {
    // Act
    const since = await app.inject({ method: 'GET', url: '/alerts?since=1&since=2' });
    const limit = await app.inject({ method: 'GET', url: '/alerts?limit=1&limit=2' });

    // Assess
    expect(since.statusCode).toBe(400);
    expect(since.json()).toMatchObject({ error: 'bad_request' });
    expect(limit.statusCode).toBe(400);
    expect(limit.json()).toMatchObject({ error: 'bad_request' });
  });
});

describe('HTTP error codes', () => {
  const API_KEY = 'client-key-'.padEnd(32, 'c');
  const ADMIN_KEY = 'admin-key-'.padEnd(32, 'a');
  const client = { 'x-api-key': API_KEY };
  const admin = { ...client, 'x-admin-key': ADMIN_KEY };
  const lines: string[] = [];
  const logger: Logger = { info: () => {}, warn: () => {}, error: (m) => lines.push(m) };
  const open: { close(): unknown }[] = [];
  const cleanups: (() => void)[] = [];

  /** A local API over a fresh database and rules file, with every route and credential unless `over` removes them. */
  const server = (over: Partial<ServerDeps> = {}): { app: FastifyInstance; state: SqliteStateStore; dir: string } => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    copyFileSync(BUNDLED_RULES, join(dir, 'rules.json'));
    const state = new SqliteStateStore({ path: ':memory:' });
    const rules = new FileRulesSource(join(dir, 'rules.json'), logger, { audit: state });
    const app = buildServer({
      decisions: state,
      features: new FeatureWindows(),
      rules: () => rules.current(),
      rulesStore: rules,
      tokenizer: createPanTokenizer('codes-test-key-0123456789'),
      logger,
      bodyLimit: 2048,
      apiKey: API_KEY,
      admin: { adminKey: ADMIN_KEY },
      labelTransaction: async (id, label) => {
        if (!state.getTransactionRecord(id)) return { status: 'not_found' };
        return state.putLabel(id, label, 0);
      },
      ...over,
    });
    open.push(app, rules, state);
    return { app, state, dir };
  };

  afterEach(async () => {
    for (const o of open.splice(0).reverse()) await o.close();
    for (const c of cleanups.splice(0)) c();
    lines.length = 0;
  });

  it('answers every code of the table with its status, from a real request, as {error, message, errors?}', async () => {
    // Prepare: one server per configuration a code needs
    const full = server();
    await full.app.inject({ method: 'POST', url: '/transactions', headers: client, payload: transaction() });
    await full.app.inject({ method: 'POST', url: '/transactions/err-1/label', headers: client, payload: { label: 'fraud' } });
    const bare = server({ apiKey: undefined, admin: undefined, labelTransaction: undefined });
    const noCaller = server({ apiKey: undefined, admin: { caller: () => undefined } });
    const broken = server({ apiKey: undefined });
    broken.state.close();
    const unsaved = server({ apiKey: undefined });
    rmSync(unsaved.dir, { recursive: true, force: true });
    // The console: an analyst signed in, and another user locked out by failed sign-ins.
    const consoleDb = new SqliteStateStore({ path: ':memory:' });
    open.push(consoleDb);
    const users = new SqliteUserStore({ db: consoleDb.db });
    await addUser({ users }, { name: 'ana', role: 'analyst', password: 'analyst password' });
    const withConsole = server({
      apiKey: undefined,
      console: { users, sessions: new SqliteSessionStore({ db: consoleDb.db }), reviews: new SqliteReviewStore({ db: consoleDb.db }), assetsDir: CONSOLE_ASSETS },
    });
    const signIn = (username: string, password: string) => withConsole.app.inject({ method: 'POST', url: '/session', payload: { username, password } });
    const signedIn = await signIn('ana', 'analyst password');
    const ana = { cookie: String(signedIn.headers['set-cookie']).split(';')[0] ?? '', 'x-csrf-token': (signedIn.json() as { csrf_token: string }).csrf_token };
    for (let i = 0; i < 5; i++) await signIn('bob', `guess ${i}`);
    const json = { ...client, 'content-type': 'application/json' };
    const cases: [ErrorCode, FastifyInstance, InjectOptions][] = [
      ['invalid_credentials', withConsole.app, { method: 'POST', url: '/session', payload: { username: 'ana', password: 'wrong password' } }],
      ['session_required', withConsole.app, { method: 'GET', url: '/queue' }],
      ['csrf_failed', withConsole.app, { method: 'POST', url: '/queue/1/decision', headers: { cookie: ana.cookie }, payload: { label: 'fraud' } }],
      ['forbidden', withConsole.app, { method: 'PUT', url: '/rules', headers: ana, payload: { version: 'v2', rules: [] } }],
      ['too_many_attempts', withConsole.app, { method: 'POST', url: '/session', payload: { username: 'bob', password: 'any password' } }],
      ['bad_request', full.app, { method: 'GET', url: '/alerts?since=soon', headers: client }],
      ['invalid_json', full.app, { method: 'POST', url: '/transactions', headers: json, payload: '{"amount": ' }],
      ['invalid_transaction', full.app, { method: 'POST', url: '/transactions', headers: client, payload: { amount: '-5' } }],
      ['invalid_label', full.app, { method: 'POST', url: '/transactions/err-1/label', headers: client, payload: { label: 'maybe' } }],
      ['invalid_rules', full.app, { method: 'PUT', url: '/rules', headers: admin, payload: { version: 'v2' } }],
      ['unauthorized', full.app, { method: 'GET', url: '/stats' }],
      ['admin_unauthorized', full.app, { method: 'GET', url: '/rules/audit', headers: client }],
      ['admin_forbidden', noCaller.app, { method: 'PUT', url: '/rules', payload: { version: 'v2', rules: [] } }],
      ['admin_disabled', bare.app, { method: 'PUT', url: '/rules', payload: { version: 'v2', rules: [] } }],
      ['not_found', full.app, { method: 'GET', url: '/transactions/err-2', headers: client }],
      ['conflict', full.app, { method: 'POST', url: '/transactions/err-1/label', headers: client, payload: { label: 'legit' } }],
      ['payload_too_large', full.app, { method: 'POST', url: '/transactions', headers: client, payload: transaction({ note: 'x'.repeat(4096) }) }],
      ['uri_too_long', full.app, { method: 'GET', url: `/transactions/${'x'.repeat(3000)}`, headers: client }],
      ['unsupported_media_type', full.app, { method: 'POST', url: '/transactions', headers: { ...client, 'content-type': 'application/xml' }, payload: '<tx/>' }],
      ['internal', broken.app, { method: 'GET', url: '/stats' }],
      ['rules_not_saved', unsaved.app, { method: 'PUT', url: '/rules', headers: admin, payload: { version: 'v2', rules: [] } }],
      ['not_implemented', bare.app, { method: 'POST', url: '/transactions/err-1/label', payload: { label: 'fraud' } }],
    ];

    for (const [code, app, request] of cases) {
      // Act
      const res = await app.inject(request);

      // Assess
      expect({ code, status: res.statusCode }).toEqual({ code, status: ERROR_CODES[code].status });
      const body = res.json();
      expect(body, code).toMatchObject({ error: code, message: expect.any(String) });
      const extra = code === 'conflict' ? ['transaction_id', 'label', 'known_at'] : code === 'too_many_attempts' ? ['retry_after_s'] : [];
      for (const key of Object.keys(body)) expect(['error', 'message', 'errors', ...extra], `${code}: ${key}`).toContain(key);
    }
    expect(cases.map(([code]) => code).sort()).toEqual(Object.keys(ERROR_CODES).sort());
    // A server error is logged with its cause; the client saw only a fixed message.
    expect(lines).toEqual([
      expect.stringMatching(/^request failed: GET \/stats answered 500 internal: .*not open/),
      expect.stringMatching(/^request failed: PUT \/rules answered 500 rules_not_saved: .*ENOENT/),
    ]);
  });
});

describe('JSON bodies', () => {
  it.each([
    ['{"lists":{"__proto__":false},"rules":[]}', '__proto__'],
    ['{"account_id":"a","__proto__":{"admin":true}}', '__proto__'],
    ['{"a":{"constructor":{"prototype":{"x":1}}}}', 'constructor.prototype'],
  ])('refuses %s whole as invalid_json, naming the key', (payload, key) => {
    // Act
    const refused = (() => {
      try {
        parseJsonBody(payload);
        return undefined;
      } catch (e) {
        return e;
      }
    })();

    // Assess
    expect(refused).toBeInstanceOf(InvalidJsonError);
    expect((refused as Error).message).toContain(`"${key}"`);
  });

  it('reads JSON that only mentions those words, and says where a broken body stops without quoting it', () => {
    // Act
    const read = parseJsonBody('{"merchant":"__proto__ shop","note":"prototype","constructor":"x"}');
    const broken = (() => {
      try {
        return parseJsonBody('{"card":"4111111111111111" x');
      } catch (e) {
        return (e as Error).message;
      }
    })();

    // Assess
    expect(read).toEqual({ merchant: '__proto__ shop', note: 'prototype', constructor: 'x' });
    expect(broken).toMatch(/^the body is not valid JSON( \(at character \d+\))?$/);
  });
});
