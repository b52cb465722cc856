import { createHash } from 'node:crypto';
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileRulesSource } from '../../src/adapters/local/FileRulesSource.js';
import { SqliteStateStore } from '../../src/adapters/local/SqliteStateStore.js';
import { FeatureWindows } from '../../src/core/features.js';
import { createPanTokenizer } from '../../src/core/pan.js';
import { BUNDLED_RULES } from '../../src/local/wiring.js';
import type { Logger } from '../../src/ports/Logger.js';
import { buildServer } from '../../src/server/buildServer.js';
import { tempDir } from '../helpers/fixtures.js';
import { canaries, leakedPans } from '../security/panShapes.js';

const KEY = 'k'.repeat(32);
/** Rule changes need the admin credential (see admin.test.ts); these tests are about the rules. */
const ADMIN_KEY = 'a'.repeat(32);

/** A small valid rules document. */
const document = (version: string, limit = '10000') => ({
  version,
  thresholds: { review: 50, block: 80 },
  lists: { blocked: ['Shady Ltd'] },
  rules: [
    { id: 'high_value', when: `amount > ${limit}`, weight: 60, detail: 'amount {amount} over ' + limit },
    { id: 'blocked_merchant', when: 'merchant in list("blocked")', action: 'block' },
  ],
});

/** A logger that keeps its lines. */
function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => lines.push(`info ${m}`),
    warn: (m) => lines.push(`warn ${m}`),
    error: (m) => lines.push(`error ${m}`),
  };
}

describe('rules API (GET/PUT /rules)', () => {
  let dir: string;
  let cleanup: () => void;
  let rulesPath: string;
  let rules: FileRulesSource;
  let state: SqliteStateStore;
  let app: FastifyInstance;
  let logger: ReturnType<typeof memoryLogger>;

  const build = (apiKey?: string): FastifyInstance =>
    buildServer({
      decisions: state,
      features: new FeatureWindows(),
      rules: () => rules.current(),
      rulesStore: rules,
      tokenizer: createPanTokenizer('rules-test-key-0123456789'),
      logger,
      apiKey,
      admin: { adminKey: ADMIN_KEY },
    });

  beforeEach(() => {
    ({ dir, cleanup } = tempDir());
    rulesPath = join(dir, 'rules.json');
    copyFileSync(BUNDLED_RULES, rulesPath);
    logger = memoryLogger();
    rules = new FileRulesSource(rulesPath, logger);
    state = new SqliteStateStore({ path: ':memory:' });
    app = build();
  });

  afterEach(async () => {
    await app.close();
    rules.close();
    state.close();
    cleanup();
  });

  const put = (payload: unknown, headers: Record<string, string> = {}) =>
    app.inject({ method: 'PUT', url: '/rules', payload: payload as object, headers: { 'x-admin-key': ADMIN_KEY, ...headers } });

  const score = async (amount: string, merchant = 'Cafe') =>
    (
      await app.inject({
        method: 'POST',
        url: '/transactions',
        payload: { account_id: 'A1', amount, merchant, timestamp: '2026-01-01T12:00:00Z' },
      })
    ).json().decision;

  it('GET /rules returns the version and the document in force', async () => {
    // Act
    const res = await app.inject({ method: 'GET', url: '/rules' });

    // Assess
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ version: 'default-1', document: JSON.parse(readFileSync(BUNDLED_RULES, 'utf8')) });
  });

  it('PUT /rules validates, writes the file and activates the new set', async () => {
    // Act
    const res = await put(document('v2', '100'));

    // Assess
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ version: 'v2' });
    expect(JSON.parse(readFileSync(rulesPath, 'utf8'))).toEqual(document('v2', '100'));
    expect(readdirSync(dir)).toEqual(['rules.json']);
    expect((await app.inject({ method: 'GET', url: '/rules' })).json()).toEqual({
      version: 'v2',
      document: document('v2', '100'),
    });
    const decision = await score('150.00');
    expect(decision.rules_version).toBe('v2');
    expect(decision.reasons).toEqual([{ rule: 'high_value', weight: 60, detail: 'amount 150.00 over 100' }]);
    expect(logger.lines).toContain(
      `info rules replaced: default-1 -> v2 by admin-key sha256:${createHash('sha256').update(ADMIN_KEY).digest('hex').slice(0, 8)} from 127.0.0.1`,
    );
  });

  it('activates action rules: a block action blocks whatever the score', async () => {
    // Prepare
    await put(document('v3'));

    // Act
    const decision = await score('5.00', 'SHADY LTD');

    // Assess
    expect(decision.outcome).toBe('block');
    expect(decision.score).toBe(0);
    expect(decision.reasons).toEqual([
      { rule: 'blocked_merchant', weight: 0, detail: 'blocked merchant', action: 'block' },
    ]);
  });

  it('PUT /rules refuses a document holding card numbers, naming where without repeating them', async () => {
    // Prepare
    const before = readFileSync(rulesPath, 'utf8');
    const [a, b] = canaries();
    const doc = {
      ...document('v-pan'),
      lists: { blocked: ['Shady Ltd', a?.text ?? ''] },
      rules: [{ id: 'high_value', when: 'amount > 10000', weight: 60, detail: `card ${b?.text ?? ''}` }],
    };

    // Act
    const res = await put(doc);

    // Assess
    expect(res.statusCode).toBe(400);
    expect(res.json().errors.map((e: { path: string }) => e.path)).toEqual(['lists.blocked[1]', 'rules[0].detail']);
    expect(leakedPans(res.body + logger.lines.join('\n'), [a?.pan ?? '', b?.pan ?? ''])).toEqual([]);
    expect(readFileSync(rulesPath, 'utf8')).toBe(before);
  });

  it('PUT /rules with an invalid document answers 400 with every problem and changes nothing', async () => {
    // Prepare
    const before = readFileSync(rulesPath, 'utf8');
    const bad = {
      version: 'v9',
      rules: [
        { id: 'ok', when: 'amount > 1', weight: 10 },
        { id: 'velocity_card', when: 'count(card 1m)) > 3', weight: 55 },
        { id: 'heavy', when: 'amount > 1', weight: 500 },
      ],
    };

    // Act
    const res = await put(bad);

    // Assess
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expect(body.error).toBe('invalid_rules');
    expect(body.message).toContain('rules[1] (velocity_card).when: expected "," or ")" but found 1m at column 12');
    expect(body.errors).toEqual([
      { path: 'rules[1].when', column: 12, reason: 'expected "," or ")" but found 1m' },
      { path: 'rules[2].weight', reason: 'must be a number 0–100' },
    ]);
    expect(readFileSync(rulesPath, 'utf8')).toBe(before);
    expect(readdirSync(dir)).toEqual(['rules.json']);
    expect(rules.current().version).toBe('default-1');
    expect((await score('20000.00')).rules_version).toBe('default-1');
  });

  it.each([
    ['a JSON array', []],
    ['a document without rules', { version: 'x' }],
    ['the removed kind format', { rules: [{ id: 'high_value', weight: 60, params: { amount: '1' } }] }],
  ])('PUT /rules refuses %s with 400', async (_, payload) => {
    // Act
    const res = await put(payload);

    // Assess
    expect(res.statusCode).toBe(400);
    expect(res.json().errors.length).toBeGreaterThan(0);
    expect(rules.current().version).toBe('default-1');
  });

  it('PUT /rules refuses a rule nested 5,000 deep with 400 and its position, and a document of arrays nested 100,000 deep with 400', async () => {
    // Prepare: raw JSON text, as a client would send it
    const deepRule = JSON.stringify({
      version: 'deep',
      rules: [{ id: 'deep', when: `${'('.repeat(5000)}amount > 1${')'.repeat(5000)}`, weight: 1 }],
    });
    const deepDoc = `{"version": ${'['.repeat(100_000)}1${']'.repeat(100_000)}, "rules": []}`;
    const headers = { 'content-type': 'application/json', 'x-admin-key': ADMIN_KEY };

    // Act
    const rule = await app.inject({ method: 'PUT', url: '/rules', payload: deepRule, headers });
    const doc = await app.inject({ method: 'PUT', url: '/rules', payload: deepDoc, headers });

    // Assess
    expect(rule.statusCode).toBe(400);
    expect(rule.json().errors).toEqual([
      { path: 'rules[0].when', column: 101, reason: expect.stringMatching(/^the expression nests more than 100 levels deep/) },
    ]);
    expect(rule.json().message.length).toBeLessThan(500);
    expect(doc.statusCode).toBe(400);
    expect(doc.json().errors).toEqual([{ path: 'version', reason: 'must be a non-empty string' }]);
    expect(rules.current().version).toBe('default-1');
    expect(logger.lines.filter((l) => l.startsWith('error'))).toEqual([]);
  });

  it('keeps the set written by PUT across a reload of the file', async () => {
    // Prepare
    await put(document('v4'));

    // Act
    const reloaded = rules.reload();

    // Assess
    expect(reloaded).toBe(true);
    expect(rules.current().version).toBe('v4');
    expect(new FileRulesSource(rulesPath, logger).current().version).toBe('v4');
  });

  it('keeps the old set when the file is edited into an invalid one, and logs why', async () => {
    // Prepare
    writeFileSync(rulesPath, JSON.stringify({ rules: [{ id: 'x', when: 'amount >', weight: 1 }] }));

    // Act
    const reloaded = rules.reload();

    // Assess
    expect(reloaded).toBe(false);
    expect(rules.current().version).toBe('default-1');
    expect(logger.lines.at(-1)).toContain('not reloaded, keeping default-1');
    expect(logger.lines.at(-1)).toContain('rules[0] (x).when: the expression ends too early at column 9');
    expect((await app.inject({ method: 'GET', url: '/rules' })).json().version).toBe('default-1');
  });

  it('needs the API key when one is configured', async () => {
    // Prepare
    await app.close();
    app = build(KEY);

    // Act
    const getWithout = await app.inject({ method: 'GET', url: '/rules' });
    const putWithout = await put(document('v5'));
    const putWrong = await put(document('v5'), { 'x-api-key': 'nope' });
    const getRight = await app.inject({ method: 'GET', url: '/rules', headers: { 'x-api-key': KEY } });
    const putRight = await put(document('v5'), { 'x-api-key': KEY });

    // Assess
    expect([getWithout.statusCode, putWithout.statusCode, putWrong.statusCode]).toEqual([401, 401, 401]);
    expect(getRight.statusCode).toBe(200);
    expect(putRight.statusCode).toBe(200);
    expect(rules.current().version).toBe('v5');
  });

  it('has no /rules routes without a rules editor', async () => {
    // Prepare
    await app.close();
    app = buildServer({
      decisions: state,
      features: new FeatureWindows(),
      rules: () => rules.current(),
      tokenizer: createPanTokenizer('rules-test-key-0123456789'),
      logger,
    });

    // Act / Assess
    expect((await app.inject({ method: 'GET', url: '/rules' })).statusCode).toBe(404);
    expect((await put(document('v6'))).statusCode).toBe(404);
  });
});
