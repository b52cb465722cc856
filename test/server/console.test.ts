import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileRulesSource } from '../../src/adapters/local/FileRulesSource.js';
import { SqliteReviewStore } from '../../src/adapters/local/SqliteReviewStore.js';
import { SqliteRulesWorkbench } from '../../src/adapters/local/SqliteRulesWorkbench.js';
import { SqliteSessionStore } from '../../src/adapters/local/SqliteSessionStore.js';
import { SqliteStateStore } from '../../src/adapters/local/SqliteStateStore.js';
import { SqliteUserStore } from '../../src/adapters/local/SqliteUserStore.js';
import { addUser } from '../../src/app/consoleAuth.js';
import { recordLabel } from '../../src/app/recordLabel.js';
import { FeatureWindows } from '../../src/core/features.js';
import { createPanTokenizer } from '../../src/core/pan.js';
import { CONSOLE_ASSETS, BUNDLED_RULES } from '../../src/local/wiring.js';
import { silentLogger } from '../../src/ports/Logger.js';
import { buildServer, type ServerDeps } from '../../src/server/buildServer.js';
import type { ConsoleOptions } from '../../src/server/consoleRoutes.js';
import { tempDir, TEST_PANS } from '../helpers/fixtures.js';

const API_KEY = 'client-key-'.padEnd(32, 'c');
const PASSWORD = 'a long enough password';

/** What a signed-in client sends: its cookie and, for changes, its anti-CSRF token. */
interface Client {
  cookie: string;
  csrf: string;
}

describe('analyst console over HTTP (real SQLite)', () => {
  let dir: string;
  let cleanup: () => void;
  let rulesPath: string;
  let state: SqliteStateStore;
  let rules: FileRulesSource;
  let features: FeatureWindows;
  let app: FastifyInstance;

  const consoleOptions = (over: Partial<ConsoleOptions> = {}): ConsoleOptions => ({
    users: new SqliteUserStore({ db: state.db }),
    sessions: new SqliteSessionStore({ db: state.db }),
    reviews: new SqliteReviewStore({ db: state.db }),
    workbench: { history: new SqliteRulesWorkbench({ db: state.db }), labelled: new SqliteRulesWorkbench({ db: state.db }) },
    assetsDir: CONSOLE_ASSETS,
    ...over,
  });

  const build = (over: Partial<ServerDeps> = {}, consoleOver: Partial<ConsoleOptions> = {}): FastifyInstance =>
    buildServer({
      decisions: state,
      labels: state,
      features,
      rules: () => rules.current(),
      rulesStore: rules,
      tokenizer: createPanTokenizer('console-test-key-0123456789'),
      logger: silentLogger,
      labelTransaction: (id, label) =>
        recordLabel(id, label, {
          findTransaction: async (tid) => state.getTransactionRecord(tid),
          putLabel: (tid, l, knownAt) => state.putLabel(tid, l, knownAt),
          feedBack: async () => {},
          clock: { latest: async () => 0, advance: async () => {} },
          labelDelayMs: 0,
        }),
      console: consoleOptions(consoleOver),
      ...over,
    });

  const users = () => new SqliteUserStore({ db: state.db });

  beforeEach(async () => {
    ({ dir, cleanup } = tempDir());
    rulesPath = join(dir, 'rules.json');
    copyFileSync(BUNDLED_RULES, rulesPath);
    state = new SqliteStateStore({ path: join(dir, 'fraudmini.db') });
    rules = new FileRulesSource(rulesPath, silentLogger, { audit: state });
    features = new FeatureWindows();
    await addUser({ users: users() }, { name: 'ana', role: 'analyst', password: PASSWORD });
    await addUser({ users: users() }, { name: 'root', role: 'admin', password: PASSWORD });
  });

  afterEach(async () => {
    await app?.close();
    rules.close();
    state.close();
    cleanup();
  });

  const signIn = async (username: string, password = PASSWORD): Promise<Client> => {
    const res = await app.inject({ method: 'POST', url: '/session', payload: { username, password } });
    expect(res.statusCode).toBe(200);
    const cookie = String(res.headers['set-cookie']).split(';')[0] ?? '';
    return { cookie, csrf: (res.json() as { csrf_token: string }).csrf_token };
  };

  /** Posts a transaction over the API; amounts over 10,000 raise an alert under the bundled rules. */
  const submit = async (body: Record<string, unknown>, headers: Record<string, string> = {}) => {
    const res = await app.inject({ method: 'POST', url: '/transactions', payload: body, headers });
    expect(res.statusCode).toBe(201);
  };

  const seedAlerts = async (headers: Record<string, string> = {}) => {
    // A1: two alerts on the same card; A2: one blocked (high value, cross-border, low balance); A3: allowed.
    await submit({ transaction_id: 'T1', timestamp: '2026-01-01T10:00:00Z', account_id: 'A1', amount: '12500.00', card_number: TEST_PANS[0] }, headers);
    await submit({ transaction_id: 'T2', timestamp: '2026-01-01T11:00:00Z', account_id: 'A2', amount: '15000.00', origin_country: 'US', destination_country: 'FR', account_balance: '100.00' }, headers);
    await submit({ transaction_id: 'T3', timestamp: '2026-01-01T12:00:00Z', account_id: 'A3', amount: '20.50' }, headers);
    await submit({ transaction_id: 'T4', timestamp: '2026-01-01T13:00:00Z', account_id: 'A1', amount: '11000.00', card_number: TEST_PANS[0] }, headers);
  };

  const get = (url: string, c?: Client, headers: Record<string, string> = {}) =>
    app.inject({ method: 'GET', url, headers: { ...(c ? { cookie: c.cookie } : {}), ...headers } });

  /** `csrf` null: sent without the header. */
  const decide = (id: number, c: Client, body: Record<string, unknown>, csrf: string | null = c.csrf) =>
    app.inject({
      method: 'POST',
      url: `/queue/${id}/decision`,
      payload: body,
      headers: { cookie: c.cookie, ...(csrf !== null ? { 'x-csrf-token': csrf } : {}) },
    });

  const queue = async (c: Client, query = ''): Promise<{ alerts: { id: number; transaction_id: string; score: number }[]; next: string | null }> => {
    const res = await get(`/queue${query}`, c);
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  };

  describe('sessions', () => {
    it('signs in with a user and password, sets an HttpOnly SameSite=Strict cookie, and keeps only the hash of the session id', async () => {
      // Prepare
      app = build();

      // Act
      const res = await app.inject({ method: 'POST', url: '/session', payload: { username: 'ana', password: PASSWORD } });

      // Assess
      expect(res.statusCode).toBe(200);
      const setCookie = String(res.headers['set-cookie']);
      expect(setCookie).toMatch(/^fraudmini_session=[A-Za-z0-9_-]{43}; /);
      expect(setCookie).toContain('HttpOnly');
      expect(setCookie).toContain('SameSite=Strict');
      expect(setCookie).toContain('Path=/');
      expect(setCookie).not.toContain('Secure');
      const body = res.json() as { user: string; role: string; csrf_token: string };
      expect(body).toMatchObject({ user: 'ana', role: 'analyst' });
      expect(body.csrf_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const id = /^fraudmini_session=([^;]+)/.exec(setCookie)?.[1] ?? '';
      const stored = state.db.prepare('SELECT id_hash FROM sessions').pluck().all() as string[];
      expect(stored).toHaveLength(1);
      expect(stored[0]).not.toBe(id);
      expect(readFileSync(join(dir, 'fraudmini.db')).includes(Buffer.from(id))).toBe(false);
    });

    it('marks the cookie Secure when the console is served over TLS', async () => {
      // Prepare
      app = build({}, { secureCookies: true });

      // Act
      const res = await app.inject({ method: 'POST', url: '/session', payload: { username: 'ana', password: PASSWORD } });

      // Assess
      expect(String(res.headers['set-cookie'])).toMatch(/; Secure$/);
    });

    it('refuses a wrong password and an unknown user alike, with 401 and no cookie', async () => {
      // Prepare
      app = build();

      // Act
      const wrong = await app.inject({ method: 'POST', url: '/session', payload: { username: 'ana', password: 'not the password' } });
      const unknown = await app.inject({ method: 'POST', url: '/session', payload: { username: 'nobody', password: PASSWORD } });

      // Assess
      for (const res of [wrong, unknown]) {
        expect(res.statusCode).toBe(401);
        expect(res.json()).toEqual({ error: 'invalid_credentials', message: 'unknown user name or wrong password' });
        expect(res.headers['set-cookie']).toBeUndefined();
      }
    });

    it('refuses a user\'s sign-ins from an address after 5 failures there, even with the right password, and not from elsewhere', async () => {
      // Prepare
      app = build();
      const attempt = (password: string, remoteAddress = '10.0.0.1') =>
        app.inject({ method: 'POST', url: '/session', payload: { username: 'ana', password }, remoteAddress });
      const failures = [];
      for (let i = 0; i < 5; i++) failures.push((await attempt(`guess ${i}`)).statusCode);

      // Act
      const locked = await attempt(PASSWORD);
      const elsewhere = await attempt(PASSWORD, '10.0.0.2');

      // Assess
      expect(failures).toEqual([401, 401, 401, 401, 401]);
      expect(locked.statusCode).toBe(429);
      expect(locked.json()).toMatchObject({ error: 'too_many_attempts', retry_after_s: expect.any(Number) });
      expect(locked.headers['set-cookie']).toBeUndefined();
      expect(elsewhere.statusCode).toBe(200);
    });

    it('answers who is signed in, then nothing after sign-out or once the session expired', async () => {
      // Prepare
      app = build();
      const ana = await signIn('ana');

      // Act
      const who = await get('/session', ana);
      const outWithoutToken = await app.inject({ method: 'DELETE', url: '/session', headers: { cookie: ana.cookie } });
      const out = await app.inject({ method: 'DELETE', url: '/session', headers: { cookie: ana.cookie, 'x-csrf-token': ana.csrf } });
      const after = await get('/session', ana);

      // Assess
      expect(who.statusCode).toBe(200);
      expect(who.json()).toMatchObject({ user: 'ana', role: 'analyst', csrf_token: ana.csrf });
      expect(outWithoutToken.statusCode).toBe(403);
      expect(out.statusCode).toBe(200);
      expect(String(out.headers['set-cookie'])).toContain('Max-Age=0');
      expect(after.statusCode).toBe(401);
      expect(after.json()).toMatchObject({ error: 'session_required' });
    });

    it('refuses an expired session', async () => {
      // Prepare: sessions that end as soon as they start
      app = build({}, { sessionTtlMs: 1 });
      const ana = await signIn('ana');
      await new Promise((r) => setTimeout(r, 5));

      // Act
      const res = await get('/session', ana);

      // Assess
      expect(res.statusCode).toBe(401);
    });
  });

  describe('review queue', () => {
    it('lists the open alerts newest first, riskiest first, filtered, a page at a time', async () => {
      // Prepare
      app = build();
      await seedAlerts();
      const ana = await signIn('ana');

      // Act
      const newest = await queue(ana);
      const riskiest = await queue(ana, '?order=riskiest');
      const blocked = await queue(ana, '?outcome=block');
      const byRule = await queue(ana, '?rule=cross_border');
      const byAccount = await queue(ana, '?account=A1');
      const top = riskiest.alerts[0]?.score ?? 0;
      const atTop = await queue(ana, `?min_score=${top}`);
      const belowTop = await queue(ana, `?max_score=${top - 0.001}`);
      const first = await queue(ana, '?order=riskiest&limit=2');
      const second = await queue(ana, `?order=riskiest&limit=2&after=${first.next ?? ''}`);

      // Assess
      expect(newest.alerts.map((a) => a.transaction_id)).toEqual(['T4', 'T2', 'T1']);
      expect(riskiest.alerts[0]?.transaction_id).toBe('T2');
      const scores = riskiest.alerts.map((a) => a.score);
      expect(scores).toEqual([...scores].sort((a, b) => b - a));
      expect(blocked.alerts.map((a) => a.transaction_id)).toEqual(['T2']);
      expect(byRule.alerts.map((a) => a.transaction_id)).toEqual(['T2']);
      expect(byAccount.alerts.map((a) => a.transaction_id)).toEqual(['T4', 'T1']);
      expect(atTop.alerts.map((a) => a.transaction_id)).toEqual(['T2']);
      expect(belowTop.alerts.map((a) => a.transaction_id)).toEqual(['T4', 'T1']);
      expect([...first.alerts, ...second.alerts].map((a) => a.transaction_id)).toEqual(riskiest.alerts.map((a) => a.transaction_id));
      expect(second.next).toBeNull();
    });

    it('refuses the queue without a session, and a malformed query with its reason', async () => {
      // Prepare
      app = build();
      const ana = await signIn('ana');

      // Act
      const anonymous = await get('/queue');
      const badOrder = await get('/queue?order=oldest', ana);
      const badScore = await get('/queue?min_score=abc', ana);

      // Assess
      expect(anonymous.statusCode).toBe(401);
      expect(badOrder.statusCode).toBe(400);
      expect(badOrder.json()).toMatchObject({ error: 'bad_request', message: 'order must be newest or riskiest' });
      expect(badScore.json()).toMatchObject({ error: 'bad_request', message: 'min_score must be a score 0–100' });
    });

    it('opens an alert with its masked transaction, reasons, account history and the other open alerts of the account or card', async () => {
      // Prepare
      app = build();
      await seedAlerts();
      const ana = await signIn('ana');
      const t1 = (await queue(ana, '?account=A1')).alerts.find((a) => a.transaction_id === 'T1');

      // Act
      const res = await get(`/queue/${t1?.id}`, ana);

      // Assess
      expect(res.statusCode).toBe(200);
      const d = res.json() as {
        transaction: { transaction_id: string; card: { masked: string } };
        decision: { reasons: { rule: string; detail: string }[] };
        label: null;
        history: { transaction_id: string }[];
        related: { transaction_id: string }[];
      };
      expect(d.transaction.transaction_id).toBe('T1');
      expect(d.transaction.card.masked).toBe('411111******1111');
      expect(d.decision.reasons.map((r) => r.rule)).toContain('high_value');
      expect(d.decision.reasons.every((r) => r.detail.length > 0)).toBe(true);
      expect(d.label).toBeNull();
      expect(d.history.map((h) => h.transaction_id)).toEqual(['T4', 'T1']);
      expect(d.related.map((a) => a.transaction_id)).toEqual(['T4']);
      expect(res.body).not.toContain(TEST_PANS[0]);
    });

    it('marks an alert Fraud through the label path, audits who did it with the note, takes it off the queue and names the next one', async () => {
      // Prepare
      app = build();
      await seedAlerts();
      const ana = await signIn('ana');
      const [t4, t2] = (await queue(ana)).alerts;

      // Act
      const res = await decide(t4?.id ?? 0, ana, { label: 'fraud', note: 'customer confirmed' });

      // Assess
      expect(res.statusCode).toBe(201);
      expect(res.json()).toEqual({ alert_id: t4?.id, transaction_id: 'T4', label: 'fraud', status: 'recorded', next: t2?.id });
      const tx = await get('/transactions/T4');
      expect(state.db.prepare('SELECT label FROM labels WHERE transaction_id = ?').pluck().get('T4')).toBe(1);
      expect(tx.statusCode).toBe(200);
      expect((await queue(ana)).alerts.map((a) => a.transaction_id)).toEqual(['T2', 'T1']);
      const audit = await new SqliteReviewStore({ db: state.db }).reviewAudit(10);
      expect(audit).toEqual([
        { at: expect.any(String), user: 'ana', action: 'label', alertId: t4?.id, transactionId: 'T4', label: 'fraud', result: 'recorded', note: 'customer confirmed' },
      ]);
      const again = await decide(t4?.id ?? 0, ana, { label: 'legit' });
      expect(again.statusCode).toBe(409);
      expect(again.json()).toMatchObject({ error: 'conflict', label: 'fraud' });
      const opened = (await get(`/queue/${t4?.id}`, ana)).json() as { label: string; audit: unknown[] };
      expect(opened.label).toBe('fraud');
      expect(opened.audit).toEqual([
        { at: expect.any(String), user: 'ana', action: 'label', label: 'fraud', result: 'recorded', note: 'customer confirmed' },
        { at: expect.any(String), user: 'ana', action: 'label', label: 'legit', result: 'conflict' },
      ]);
    });

    it('shows on GET /transactions/:id a label recorded after the decision, from the console or the label route', async () => {
      // Prepare
      app = build();
      await seedAlerts();
      const ana = await signIn('ana');
      const t4 = (await queue(ana)).alerts.find((a) => a.transaction_id === 'T4');
      const before = (await get('/transactions/T3', ana)).json() as { transaction: { label?: number } };

      // Act
      await decide(t4?.id ?? 0, ana, { label: 'fraud' });
      const posted = await app.inject({ method: 'POST', url: '/transactions/T3/label', payload: { label: 'legit' } });
      const t4After = (await get('/transactions/T4', ana)).json() as { transaction: { label?: number } };
      const t3After = (await get('/transactions/T3', ana)).json() as { transaction: { label?: number } };
      const t2 = (await get('/transactions/T2', ana)).json() as { transaction: { label?: number } };

      // Assess
      expect(posted.statusCode).toBe(201);
      expect(before.transaction.label).toBeUndefined();
      expect(t4After.transaction.label).toBe(1);
      expect(t3After.transaction.label).toBe(0);
      expect(t2.transaction.label).toBeUndefined();
    });

    it('refuses a decision without the session\'s anti-CSRF token, or with another session\'s, and records nothing', async () => {
      // Prepare
      app = build();
      await seedAlerts();
      const ana = await signIn('ana');
      const other = await signIn('root');
      const [alert] = (await queue(ana)).alerts;

      // Act
      const none = await decide(alert?.id ?? 0, ana, { label: 'fraud' }, null);
      const foreign = await decide(alert?.id ?? 0, ana, { label: 'fraud' }, other.csrf);

      // Assess
      for (const res of [none, foreign]) {
        expect(res.statusCode).toBe(403);
        expect(res.json()).toMatchObject({ error: 'csrf_failed' });
      }
      expect(state.db.prepare('SELECT count(*) FROM labels').pluck().get()).toBe(0);
      expect(state.db.prepare('SELECT count(*) FROM review_audit').pluck().get()).toBe(0);
    });
  });

  describe('roles and keys', () => {
    const rulesDoc = { version: 'console-1', rules: [{ id: 'nothing', when: 'amount < 0', weight: 1 }] };
    /** `csrf` null: sent without the header. */
    const putRules = (c: Client, csrf: string | null = c.csrf) =>
      app.inject({ method: 'PUT', url: '/rules', payload: rulesDoc, headers: { cookie: c.cookie, ...(csrf !== null ? { 'x-csrf-token': csrf } : {}) } });

    it('refuses PUT /rules to an analyst with 403 and leaves the rules file as it was', async () => {
      // Prepare
      app = build();
      const ana = await signIn('ana');
      const before = readFileSync(rulesPath, 'utf8');

      // Act
      const res = await putRules(ana);

      // Assess
      expect(res.statusCode).toBe(403);
      expect(res.json()).toEqual({ error: 'forbidden', message: 'ana is an analyst: only an admin may change the rules' });
      expect(readFileSync(rulesPath, 'utf8')).toBe(before);
    });

    it('lets an admin publish rules with the anti-CSRF token, audited under the user\'s name, and not without it', async () => {
      // Prepare
      app = build();
      const root = await signIn('root');

      // Act
      const withoutToken = await putRules(root, null);
      const res = await putRules(root);

      // Assess
      expect(withoutToken.statusCode).toBe(403);
      expect(withoutToken.json()).toMatchObject({ error: 'csrf_failed' });
      expect(res.statusCode).toBe(200);
      expect(rules.current().version).toBe('console-1');
      expect(state.rulesChanges(1)[0]).toMatchObject({ credential: 'user root', version: 'console-1' });
    });

    it('keeps the API key on machine routes; console routes and read routes take a session instead', async () => {
      // Prepare
      app = build({ apiKey: API_KEY });
      await seedAlerts({ 'x-api-key': API_KEY });
      const ana = await signIn('ana');

      // Act
      const anonymous = await get('/transactions/T1');
      const withKey = await get('/transactions/T1', undefined, { 'x-api-key': API_KEY });
      const withSession = await get('/transactions/T1', ana);
      const postWithSession = await app.inject({
        method: 'POST',
        url: '/transactions',
        payload: { timestamp: '2026-01-01T10:00:00Z', account_id: 'A9', amount: '1.00' },
        headers: { cookie: ana.cookie, 'x-csrf-token': ana.csrf },
      });
      const labelWithSession = await app.inject({
        method: 'POST',
        url: '/transactions/T1/label',
        payload: { label: 'fraud' },
        headers: { cookie: ana.cookie, 'x-csrf-token': ana.csrf },
      });
      const page = await get('/');
      const q = await get('/queue', ana);

      // Assess
      expect(anonymous.statusCode).toBe(401);
      expect(withKey.statusCode).toBe(200);
      expect(withSession.statusCode).toBe(200);
      expect(postWithSession.statusCode).toBe(401);
      expect(labelWithSession.statusCode).toBe(401);
      expect(page.statusCode).toBe(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      expect(page.headers['content-security-policy']).toContain("default-src 'none'");
      expect(q.statusCode).toBe(200);
    });
  });

  describe('rules workbench', () => {
    /** A session's POST with its anti-CSRF token (`csrf` null: without it). */
    const post = (url: string, c: Client, payload: unknown, csrf: string | null = c.csrf) =>
      app.inject({ method: 'POST', url, payload: payload as Record<string, unknown>, headers: { cookie: c.cookie, ...(csrf !== null ? { 'x-csrf-token': csrf } : {}) } });
    /** The rule set in force with `high_value`'s condition replaced. */
    const withHighValue = (when: string, version: string) => {
      const doc = structuredClone(rules.current().document);
      doc.version = version;
      const rule = doc.rules.find((r) => r.id === 'high_value');
      if (rule) rule.when = when;
      return doc;
    };

    it('checks a draft without changing anything: the problem of a condition with its rule, line and column', async () => {
      // Prepare
      app = build();
      const ana = await signIn('ana');
      const before = readFileSync(rulesPath, 'utf8');

      // Act
      const bad = await post('/rules/check', ana, { document: withHighValue('amount > > 12000', 'draft-1') });
      const good = await post('/rules/check', ana, { document: withHighValue('amount > 12000', 'draft-1') });
      const noToken = await post('/rules/check', ana, { document: withHighValue('amount > 12000', 'draft-1') }, null);

      // Assess
      expect(bad.statusCode).toBe(200);
      const index = rules.current().document.rules.findIndex((r) => r.id === 'high_value');
      expect(bad.json()).toEqual({
        ok: false,
        errors: [{ path: `rules[${index}].when`, rule: 'high_value', line: 1, column: 10, reason: expect.any(String) }],
      });
      expect(good.json()).toEqual({ ok: true, version: 'draft-1' });
      expect(noToken.statusCode).toBe(403);
      expect(readFileSync(rulesPath, 'utf8')).toBe(before);
    });

    it('backtests a draft against the stored labelled history, side by side with the rule set in force', async () => {
      // Prepare: T4 (11,000) is fraud, T2 (15,000, cross-border) legit, T1 and T3 unlabelled
      app = build();
      await seedAlerts();
      const ana = await signIn('ana');
      const byTx = new Map((await queue(ana)).alerts.map((a) => [a.transaction_id, a.id]));
      expect((await decide(byTx.get('T4') ?? 0, ana, { label: 'fraud' })).statusCode).toBe(201);
      expect((await decide(byTx.get('T2') ?? 0, ana, { label: 'legit' })).statusCode).toBe(201);

      // Act: a draft that lets 11,000 through
      const res = await post('/rules/backtest', ana, { document: withHighValue('amount > 12000', 'draft-2') });
      const invalid = await post('/rules/backtest', ana, { document: withHighValue('amount >', 'draft-3') });

      // Assess
      expect(res.statusCode, res.body).toBe(200);
      const r = res.json() as {
        transactions: number; labelled: number; frauds: number; fraud_money: number;
        current: { version: string; flagged: { hits: number; frauds: number; precision: number | null; recall: number | null; money_caught: number }; rules: Record<string, { hits: number }> };
        draft: { version: string; flagged: { hits: number; frauds: number; precision: number | null; recall: number | null; money_caught: number }; rules: Record<string, { hits: number }> };
      };
      expect({ transactions: r.transactions, labelled: r.labelled, frauds: r.frauds, fraud_money: r.fraud_money }).toEqual({ transactions: 4, labelled: 2, frauds: 1, fraud_money: 11000 });
      expect(r.current.version).toBe(rules.current().version);
      expect(r.current.flagged).toMatchObject({ hits: 2, frauds: 1, precision: 0.5, recall: 1, money_caught: 11000 });
      expect(r.current.rules.high_value?.hits).toBe(2);
      expect(r.draft.version).toBe('draft-2');
      expect(r.draft.rules.high_value?.hits).toBe(1);
      expect(r.draft.flagged.frauds).toBe(0);
      expect(r.draft.flagged.recall).toBe(0);
      expect(invalid.statusCode).toBe(400);
      expect(invalid.json()).toMatchObject({ error: 'invalid_rules' });
    });

    it('publishes a draft and rolls back to an earlier version for an admin, audited, and refuses both to an analyst', async () => {
      // Prepare
      app = build();
      const ana = await signIn('ana');
      const root = await signIn('root');
      const first = rules.current().version;
      const draft = withHighValue('amount > 12000', 'draft-4');

      // Act
      const analystPublish = await post('/rules/versions', ana, { document: draft });
      const noToken = await post('/rules/versions', root, { document: draft }, null);
      const published = await post('/rules/versions', root, { document: draft });
      const listed = (await get('/rules/versions', ana)).json() as { versions: { id: number; version: string; active: boolean }[] };
      const original = listed.versions.find((v) => v.version === first);
      const analystRollBack = await post(`/rules/versions/${original?.id}/activate`, ana, {});
      const rolledBack = await post(`/rules/versions/${original?.id}/activate`, root, {});
      const after = (await get('/rules/versions', ana)).json() as { versions: { id: number; version: string; active: boolean }[] };
      const shown = await get(`/rules/versions/${original?.id}`, ana);

      // Assess
      expect(analystPublish.statusCode).toBe(403);
      expect(analystPublish.json()).toMatchObject({ error: 'forbidden' });
      expect(noToken.statusCode).toBe(403);
      expect(published.statusCode, published.body).toBe(201);
      expect(published.json()).toMatchObject({ version: 'draft-4' });
      expect(listed.versions.map((v) => [v.version, v.active])).toEqual([['draft-4', true], [first, false]]);
      expect(analystRollBack.statusCode).toBe(403);
      expect(rolledBack.statusCode).toBe(200);
      expect(rolledBack.json()).toEqual({ id: original?.id, version: first });
      expect(rules.current().version).toBe(first);
      expect(after.versions.map((v) => [v.version, v.active])).toEqual([['draft-4', false], [first, true]]);
      expect((shown.json() as { document: { version: string } }).document.version).toBe(first);
      expect(state.rulesChanges(2).map((c) => [c.credential, c.previousVersion, c.version])).toEqual([
        ['user root', 'draft-4', first],
        ['user root', first, 'draft-4'],
      ]);
    });
  });

  describe('events', () => {
    it('streams new alerts and live figures to a session, and ends the stream when the server closes', async () => {
      // Prepare: a listening server, an analyst's event stream open
      app = build({}, { eventsPollMs: 50 });
      const ana = await signIn('ana');
      const address = await app.listen({ host: '127.0.0.1', port: 0 });
      const anonymous = await fetch(`${address}/events`);
      const res = await fetch(`${address}/events`, { headers: { cookie: ana.cookie } });
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      let text = '';
      const readUntil = async (pattern: RegExp): Promise<RegExpExecArray> => {
        for (;;) {
          const m = pattern.exec(text);
          if (m) return m;
          const { value, done } = await reader.read();
          if (done) throw new Error(`stream ended before ${pattern}: ${text}`);
          text += new TextDecoder().decode(value);
        }
      };
      await readUntil(/event: ready\n/);

      // Act: an alerting transaction arrives
      await submit({ transaction_id: 'E1', timestamp: '2026-01-01T10:00:00Z', account_id: 'A1', amount: '12500.00' });
      const alerts = await readUntil(/event: alerts\ndata: (.*)\n/);
      const stats = await readUntil(/event: stats\ndata: (.*"alerts":1.*)\n/);
      const closed = app.close();
      // Reads what is left until the server ends the stream (the test times out if it never does).
      let ended = false;
      while (!ended) ended = (await reader.read()).done;
      await closed;

      // Assess
      expect(anonymous.status).toBe(401);
      expect(res.headers.get('content-type')).toBe('text/event-stream');
      expect(JSON.parse(alerts[1] ?? '')).toMatchObject({ count: 1, latest_id: expect.any(Number) });
      expect(JSON.parse(stats[1] ?? '')).toMatchObject({ transactions: 1, alerts: 1, alert_rate: 1 });
      expect(ended).toBe(true);
    });
  });

  describe('static console', () => {
    it('serves its page and files, and nothing else from its folder', async () => {
      // Prepare
      app = build();

      // Act
      const page = await get('/');
      const script = await get('/console/console.js');
      const style = await get('/console/console.css');
      const other: LightMyRequestResponse = await get('/console/..%2Fpackage.json');

      // Assess
      expect(page.body).toContain('<caption>Review queue</caption>');
      expect(script.headers['content-type']).toMatch(/^text\/javascript/);
      expect(style.headers['content-type']).toMatch(/^text\/css/);
      expect(other.statusCode).toBe(404);
    });
  });
});
