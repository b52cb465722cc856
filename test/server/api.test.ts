import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadRulesFile } from '../../src/adapters/local/FileRulesSource.js';
import { SqliteStateStore } from '../../src/adapters/local/SqliteStateStore.js';
import { FeatureWindows } from '../../src/core/features.js';
import { createPanTokenizer } from '../../src/core/pan.js';
import { BUNDLED_RULES } from '../../src/local/wiring.js';
import { silentLogger } from '../../src/ports/Logger.js';
import { buildServer, type ServerDeps } from '../../src/server/buildServer.js';
import { canaries, leakedPans } from '../security/panShapes.js';

const PAN = '4111 1111 1111 1111';
const body = (over: Record<string, unknown> = {}) => ({
  transaction_id: 'api-1',
  timestamp: '2026-03-01T10:00:00Z',
  account_id: 'ACC-9',
  card_number: PAN,
  amount: '42.10',
  currency: 'eur',
  merchant: 'Cafe',
  ...over,
});

describe('HTTP API', () => {
  let state: SqliteStateStore;
  let app: FastifyInstance;
  let alerted: number;

  const build = (over: Partial<ServerDeps> = {}): FastifyInstance => {
    const rules = loadRulesFile(BUNDLED_RULES);
    return buildServer({
      decisions: state,
      features: new FeatureWindows(),
      rules: () => rules,
      tokenizer: createPanTokenizer('api-test-key-0123456789'),
      logger: silentLogger,
      onAlerts: (a) => {
        alerted += a.length;
      },
      ...over,
    });
  };

  beforeEach(() => {
    state = new SqliteStateStore({ path: ':memory:' });
    alerted = 0;
    app = build();
  });

  afterEach(async () => {
    await app.close();
    state.close();
  });

  const post = (payload: unknown, headers: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url: '/transactions', payload: payload as object, headers });

  describe('POST /transactions', () => {
    it('commits concurrent requests together and still decides each id once', async () => {
      // Prepare: 30 requests at once, 10 of them repeating an id sent in the same burst
      const ids = Array.from({ length: 20 }, (_, i) => `burst-${i}`);
      const payloads = [...ids, ...ids.slice(0, 10)].map((id, i) =>
        body({ transaction_id: id, amount: i % 7 === 0 ? '15000.00' : '12.00', timestamp: `2026-03-01T10:00:${String(i % 60).padStart(2, '0')}Z` }),
      );
      const commits: number[] = [];
      const store = state.storeDecisions.bind(state);
      state.storeDecisions = (items) => {
        commits.push(items.length);
        return store(items);
      };

      // Act
      const res = await Promise.all(payloads.map((p) => post(p)));

      // Assess: one decision per id, repeats answered 200 with the same decision, fewer commits than requests
      expect(res.filter((r) => r.statusCode === 201)).toHaveLength(20);
      expect(res.filter((r) => r.statusCode === 200)).toHaveLength(10);
      for (let i = 0; i < 10; i++) {
        expect(res[20 + i]?.json()).toMatchObject({ duplicate: true, decision: res[i]?.json().decision });
      }
      expect((await state.stats()).decisions).toBe(20);
      expect(commits.reduce((a, b) => a + b, 0)).toBe(20);
      expect(commits.length).toBeLessThan(20);
      for (const id of ids) expect((await state.getTransaction(id))?.decision.transaction_id).toBe(id);
    });

    it('fails every request of a group whose commit fails, and stores none of it', async () => {
      // Prepare: an alert row already holds the id of the group's one alerting transaction, so
      // its alert insert fails after the group's transactions and decisions were inserted
      const ids = Array.from({ length: 8 }, (_, i) => `group-${i}`);
      const payloads = ids.map((id, i) =>
        body({ transaction_id: id, amount: i === 5 ? '25000.00' : '12.00', timestamp: `2026-03-01T10:00:0${i}Z` }),
      );
      state.db.prepare(`INSERT INTO alerts (transaction_id, created_at, body) VALUES ('group-5', '2026-03-01T00:00:00Z', '{}')`).run();
      const reported: unknown[] = [];
      await app.close();
      app = build({ onCommitFailed: (e) => reported.push(e) });

      // Act
      const failed = await Promise.all(payloads.map((p) => post(p)));

      // Assess: every request of the group answered 500; no transaction, decision or counter stored
      expect(failed.map((r) => r.statusCode)).toEqual(ids.map(() => 500));
      expect(await state.stats()).toMatchObject({ transactions: 0, decisions: 0, alerts: 0 });
      expect(state.db.prepare('SELECT count(*) FROM transactions').pluck().get()).toBe(0);
      expect(state.db.prepare('SELECT count(*) FROM decisions').pluck().get()).toBe(0);
      expect(alerted).toBe(0);
      // ... and the features, which counted the group already, are reported out of step: once
      expect(reported).toHaveLength(1);
      expect(String(reported[0])).toMatch(/UNIQUE|constraint/i);

      // Act: the cause gone, the same requests again
      state.db.prepare(`DELETE FROM alerts WHERE transaction_id = 'group-5'`).run();
      const retried = await Promise.all(payloads.map((p) => post(p)));

      // Assess: none of the ids was taken by the failed group
      expect(retried.map((r) => r.statusCode)).toEqual(ids.map(() => 201));
      expect((await state.stats()).decisions).toBe(8);
      expect((await state.listAlerts({ afterId: 0, limit: 100 })).map((a) => a.transaction_id)).toContain('group-5');
      expect(reported).toHaveLength(1);
    });

    it('answers a POST of an id whose group is being committed as a duplicate of that decision', async () => {
      // Prepare
      const first = post(body({ transaction_id: 'same' }));

      // Act: the same id again before the first one's group is committed
      const second = post(body({ transaction_id: 'same' }));
      const [a, b] = await Promise.all([first, second]);

      // Assess
      expect(a.statusCode).toBe(201);
      expect(b.statusCode).toBe(200);
      expect(b.json()).toEqual({ transaction_id: 'same', decision: a.json().decision, duplicate: true });
      expect((await state.stats()).decisions).toBe(1);
    });

    it('answers an id still being committed from a file as a duplicate, once that commit is done', async () => {
      // Prepare: the decision a file batch holds for api-1, its commit not finished yet
      const first = await post(body());
      const decision = first.json().decision;
      state.close();
      state = new SqliteStateStore({ path: ':memory:' });
      let commit: (d: typeof decision) => void = () => {};
      const committing = new Promise<typeof decision>((resolve) => {
        commit = resolve;
      });
      await app.close();
      app = build({ committing: (id) => (id === 'api-1' ? committing : undefined) });

      // Act
      const answer = post(body());
      commit(decision);
      const res = await answer;

      // Assess
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ transaction_id: 'api-1', decision, duplicate: true });
      expect((await state.stats()).decisions).toBe(0);
    });

    it('scores synchronously and answers 201 with the decision', async () => {
      // Act
      const res = await post(body());

      // Assess
      expect(res.statusCode).toBe(201);
      const json = res.json();
      expect(json.transaction_id).toBe('api-1');
      expect(json.decision.outcome).toBe('allow');
      expect(json.decision.rules_version).toBe('default-1');
      expect((await state.stats()).decisions).toBe(1);
    });

    it('is idempotent on transaction_id: 200 with the same decision, no second decision or alert', async () => {
      // Prepare
      const first = await post(body({ amount: '25000.00' }));

      // Act
      const second = await post(body({ amount: '25000.00' }));

      // Assess
      expect(first.statusCode).toBe(201);
      expect(second.statusCode).toBe(200);
      expect(second.json().decision).toEqual(first.json().decision);
      expect(await state.stats()).toMatchObject({ decisions: 1, alerts: 1 });
      expect(alerted).toBe(1);
    });

    it('decides two ids that are card numbers alike in BIN and last 4 apart, and finds each by the id sent', async () => {
      // Prepare: two Luhn-valid order ids with the same masked form
      const ids = ['2026010100000004', '2026010100180004'];

      // Act
      const posted = [await post(body({ transaction_id: ids[0], amount: '11.00' })), await post(body({ transaction_id: ids[1], amount: '22.00' }))];
      const again = await post(body({ transaction_id: ids[0], amount: '11.00' }));
      const read = await Promise.all(ids.map((id) => app.inject({ method: 'GET', url: `/transactions/${id}` })));

      // Assess: two decisions, the repeat a duplicate, each read answers its own transaction
      expect(posted.map((r) => r.statusCode)).toEqual([201, 201]);
      expect(again.statusCode).toBe(200);
      expect((await state.stats()).decisions).toBe(2);
      expect(read.map((r) => r.statusCode)).toEqual([200, 200]);
      expect(read.map((r) => r.json().transaction.amount)).toEqual([11, 22]);
      for (const r of [...posted, ...read]) for (const id of ids) expect(r.body).not.toContain(id);
    });

    it('derives the same id for the same body without an id (re-POST is idempotent)', async () => {
      // Prepare
      const b = body({ transaction_id: undefined });

      // Act
      const a = await post(b);
      const again = await post({ ...b });

      // Assess
      expect(a.statusCode).toBe(201);
      expect(again.statusCode).toBe(200);
      expect(again.json().transaction_id).toBe(a.json().transaction_id);
    });

    it('answers 400 listing every invalid field', async () => {
      // Act
      const res = await post({ amount: '-5', timestamp: 'soon', currency: 'dollars' });

      // Assess
      expect(res.statusCode).toBe(400);
      const fields = res
        .json()
        .errors.map((e: { field: string }) => e.field)
        .sort();
      expect(fields).toEqual(['account_id', 'amount', 'currency', 'timestamp']);
      expect((await state.stats()).decisions).toBe(0);
    });

    it('answers 400 for a body that is not a JSON object', async () => {
      // Act
      const res = await post([1, 2]);

      // Assess
      expect(res.statusCode).toBe(400);
    });

    it('refuses bodies over the limit with 413', async () => {
      // Prepare
      await app.close();
      app = build({ bodyLimit: 2048 });

      // Act
      const res = await post(body({ note: 'x'.repeat(4096) }));

      // Assess
      expect(res.statusCode).toBe(413);
    });

    it('fires velocity on the 4th transaction of a card within a minute', async () => {
      // Act
      const outcomes: string[][] = [];
      for (let i = 0; i < 4; i++) {
        const res = await post(body({ transaction_id: `v${i}`, timestamp: `2026-03-01T10:00:${10 + i * 5}Z` }));
        outcomes.push(res.json().decision.reasons.map((r: { rule: string }) => r.rule));
      }

      // Assess
      expect(outcomes.slice(0, 3).every((r) => !r.includes('velocity'))).toBe(true);
      expect(outcomes[3]).toContain('velocity');
    });
  });

  describe('reads', () => {
    it('GET /transactions/:id returns the masked transaction and its decision; 404 when unknown', async () => {
      // Prepare
      await post(body());

      // Act
      const res = await app.inject({ method: 'GET', url: '/transactions/api-1' });
      const missing = await app.inject({ method: 'GET', url: '/transactions/nope' });

      // Assess
      expect(res.statusCode).toBe(200);
      const json = res.json();
      expect(json.transaction.card.masked).toBe('411111******1111');
      expect(json.transaction.currency).toBe('EUR');
      expect(res.body).not.toContain('4111111111111111');
      expect(res.body).not.toContain(PAN);
      expect(missing.statusCode).toBe(404);
    });

    it('GET /alerts pages with since=<id> and filters by time', async () => {
      // Prepare
      for (let i = 0; i < 3; i++)
        await post(body({ transaction_id: `hv${i}`, amount: '20000.00', account_id: `A${i}` }));

      // Act
      const page1 = (await app.inject({ method: 'GET', url: '/alerts?limit=2' })).json();
      const page2 = (await app.inject({ method: 'GET', url: `/alerts?limit=2&since=${page1.next}` })).json();
      const future = (await app.inject({ method: 'GET', url: '/alerts?since=2999-01-01T00:00:00Z' })).json();
      const bad = await app.inject({ method: 'GET', url: '/alerts?limit=0' });

      // Assess
      expect(page1.alerts.map((a: { transaction_id: string }) => a.transaction_id)).toEqual(['hv0', 'hv1']);
      expect(page2.alerts.map((a: { transaction_id: string }) => a.transaction_id)).toEqual(['hv2']);
      expect(future.alerts).toEqual([]);
      expect(bad.statusCode).toBe(400);
      expect(JSON.stringify(page1)).not.toContain('4111111111111111');
    });

    it('GET /stats adds up and GET /healthz answers', async () => {
      // Prepare
      await post(body({ transaction_id: 's1' }));
      await post(body({ transaction_id: 's2', amount: '20000.00' }));

      // Act
      const stats = (await app.inject({ method: 'GET', url: '/stats' })).json();
      const health = await app.inject({ method: 'GET', url: '/healthz' });

      // Assess
      expect(stats.transactions).toBe(2);
      expect(stats.decisions).toBe(2);
      expect(stats.outcomes.allow + stats.outcomes.review + stats.outcomes.block).toBe(2);
      expect(stats.alerts).toBe(stats.outcomes.review + stats.outcomes.block);
      expect(stats.files).toEqual({ processed: 0, failed: 0, processing: 0 });
      expect(health.json().status).toBe('ok');
    });
  });

  describe('API key', () => {
    it('requires x-api-key on every route but /healthz when configured', async () => {
      // Prepare
      await app.close();
      app = build({ apiKey: 'k'.repeat(32) });

      // Act
      const without = await post(body());
      const wrong = await post(body(), { 'x-api-key': 'nope' });
      const right = await post(body(), { 'x-api-key': 'k'.repeat(32) });
      const health = await app.inject({ method: 'GET', url: '/healthz' });

      // Assess
      expect(without.statusCode).toBe(401);
      expect(wrong.statusCode).toBe(401);
      expect(right.statusCode).toBe(201);
      expect(health.statusCode).toBe(200);
    });
  });

  describe('card numbers in requests', () => {
    const shapes = canaries();
    const pans = shapes.map((c) => c.pan);

    it('keeps no card number from keys or values, and GET returns none', async () => {
      // Prepare: every canary as a key and as the value of every text field
      const extra = Object.fromEntries(shapes.map((c, i) => [c.text, `attr ${i} ${c.text}`]));
      const texts = ['account_id', 'merchant', 'merchant_category', 'terminal_id', 'channel', 'device_id', 'ip'];

      for (const [i, c] of shapes.entries()) {
        // Act
        const created = await post({
          ...body(Object.fromEntries(texts.map((f) => [f, c.text]))),
          ...extra,
          transaction_id: `pan-${i}`,
          card_number: c.text,
        });
        const read = await app.inject({ method: 'GET', url: `/transactions/pan-${i}` });

        // Assess
        expect(created.statusCode, c.shape).toBe(201);
        expect(read.statusCode, c.shape).toBe(200);
        expect(leakedPans(created.body + read.body, pans), c.shape).toEqual([]);
      }
    });

    it('answers a 400 naming a card-number key or value without repeating it', async () => {
      for (const c of shapes) {
        // Act
        const replies = [
          await post(body({ [c.text]: { nested: c.text } })),
          await post(body({ amount: c.text })),
          await post(body({ amount: `-${c.text}` })),
          await post(body({ timestamp: c.text })),
          await post(body({ currency: c.text })),
          await post(body({ label: c.text })),
          await post(body({ account_balance: c.text })),
        ];

        // Assess
        for (const r of replies) {
          expect(r.statusCode, c.shape).toBe(400);
          expect(leakedPans(r.body, pans), `${c.shape}: ${r.body}`).toEqual([]);
        }
      }
    });

    it('answers a body that is not JSON without repeating it', async () => {
      for (const c of shapes) {
        // Act
        const res = await app.inject({
          method: 'POST',
          url: '/transactions',
          headers: { 'content-type': 'application/json' },
          payload: `{"card_number": ${c.text}}`,
        });

        // Assess
        expect(res.statusCode, c.shape).toBe(400);
        expect(leakedPans(res.body, pans), `${c.shape}: ${res.body}`).toEqual([]);
      }
    });

    it('answers labels and reads of an id that is a card number without repeating it', async () => {
      // Prepare: the even shapes were posted as transaction ids (stored masked), the odd ones not
      const labelled: string[] = [];
      await app.close();
      app = build({
        labelTransaction: async (id) => {
          labelled.push(id);
          return await state.getTransaction(id) ? { status: 'recorded', label: 1, knownAt: 0 } : { status: 'not_found' };
        },
      });
      for (const [i, c] of shapes.entries()) if (i % 2 === 0) await post(body({ transaction_id: c.text }));

      for (const [i, c] of shapes.entries()) {
        // Act
        const path = encodeURIComponent(c.text);
        const replies = [
          await app.inject({ method: 'POST', url: '/transactions/api-1/label', payload: { label: c.text } }),
          await app.inject({ method: 'POST', url: `/transactions/${path}/label`, payload: { label: 'fraud' } }),
          await app.inject({ method: 'GET', url: `/transactions/${path}` }),
        ];

        // Assess: found by the id as it was stored when it was posted; never repeated
        const found = i % 2 === 0 ? [201, 200] : [404, 404];
        expect(replies.map((r) => r.statusCode), c.shape).toEqual([400, ...found]);
        for (const r of replies) expect(leakedPans(r.body, pans), `${c.shape}: ${r.body}`).toEqual([]);
      }
      expect(leakedPans(labelled.join('\n'), pans)).toEqual([]);
    });
  });
});
