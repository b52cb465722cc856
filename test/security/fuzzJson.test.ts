/**
 * Generated JSON bodies, valid, invalid and hostile, through the validator and the real HTTP API
 * (Fastify, SQLite): no crash, no 5xx, every refusal a 4xx saying why. FUZZ_RUNS sets the number
 * of bodies (default 10,000), FUZZ_SEED replays a run.
 */
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRulesFile } from '../../src/adapters/local/FileRulesSource.js';
import { SqliteStateStore } from '../../src/adapters/local/SqliteStateStore.js';
import { FeatureWindows } from '../../src/core/features.js';
import { compileRuleSet, type RuleSet } from '../../src/core/rules.js';
import { type RowResult, validateObject } from '../../src/core/schema.js';
import type { Label } from '../../src/core/transaction.js';
import { BUNDLED_RULES } from '../../src/local/wiring.js';
import type { Logger } from '../../src/ports/Logger.js';
import { buildServer } from '../../src/server/buildServer.js';
import type { RulesStore } from '../../src/ports/RulesStore.js';
import { TEST_PANS } from '../helpers/fixtures.js';
import { testTokenizer } from '../helpers/transactions.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 10_000);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
const tokenizer = testTokenizer();

// ---------------------------------------------------------------------------------------------
// Bodies

/** Values that break naive code: huge and tiny numbers, long and odd strings, nesting, PANs. */
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    1e308, -1e308, 5e-324, -0, 2 ** 53 + 2, 1e21, 0.1 + 0.2, 12.345678, 0, -1,
    '', ' ', '0', '-5.00', '1e400', '9'.repeat(400), 'NaN', 'Infinity', '0x10', '1,000.00', '12.00001',
    'x'.repeat(300), 'y'.repeat(70_000), '\0', '\uFEFF1', '\uD800', '🙂'.repeat(200), '２０２６-01-01',
    '2024-02-30T00:00:00Z', 'soon', '4111.1111.1111.1111', '4111 1111 1111 1111', 'fraud', 'maybe',
    true, false, null, [], {}, [1, 2], { a: { b: 1 } },
  ),
  fc.constantFrom(...TEST_PANS),
  fc.jsonValue({ maxDepth: 3 }),
  fc.double(),
  fc.string({ maxLength: 20 }),
);

const cents = fc.integer({ min: 1, max: 99_999_999 });
/** A valid transaction, its keys in any case or alias, its values as strings or numbers. */
const validBody = fc
  .record(
    {
      transaction_id: fc.stringMatching(/^[A-Za-z0-9-]{1,20}$/),
      timestamp: fc
        .tuple(fc.integer({ min: 1_500_000_000, max: 1_900_000_000 }), fc.constantFrom('iso', 's', 'ms', 'n'))
        .map(([s, f]): string | number =>
          f === 'iso' ? new Date(s * 1000).toISOString() : f === 's' ? String(s) : f === 'ms' ? String(s * 1000) : s,
        ),
      account_id: fc.stringMatching(/^[A-Za-z0-9]{1,12}$/),
      amount: fc.oneof(
        cents.map((c) => (c / 100).toFixed(2)),
        cents.map((c) => c / 100),
      ),
      currency: fc.constantFrom('USD', 'eur', 'GBP'),
      card_number: fc.constantFrom(...TEST_PANS),
      merchant: fc.string({ maxLength: 30 }),
      country: fc.constantFrom('US', 'FR', 'de'),
      label: fc.constantFrom('fraud', 'legit', 1, 0, true),
      note: fc.string({ maxLength: 40 }),
    },
    { requiredKeys: ['timestamp', 'account_id', 'amount'] },
  )
  .chain((tx) =>
    fc.record({
      tx: fc.constant(tx),
      caseOf: fc.array(fc.constantFrom('lower', 'upper', 'alias'), { minLength: 10, maxLength: 10 }),
    }),
  )
  .map(({ tx, caseOf }) => {
    const alias: Record<string, string> = { account_id: 'customer_id', amount: 'amt', timestamp: 'event_time', card_number: 'pan' };
    const out: Record<string, unknown> = {};
    Object.entries(tx).forEach(([k, v], i) => {
      const how = caseOf[i];
      out[how === 'upper' ? k.toUpperCase() : how === 'alias' ? (alias[k] ?? k) : k] = v;
    });
    return out;
  });

/** A valid body with fields replaced or added: hostile values, odd keys, many keys. */
const mutatedBody = fc
  .record({
    body: validBody,
    changes: fc.array(
      fc.tuple(
        fc.oneof(
          fc.constantFrom(
            'timestamp', 'account_id', 'amount', 'currency', 'card_number', 'label', 'merchant', 'note',
            '__proto__', 'constructor', 'prototype', 'toString', '', ' ', '4111111111111111', 'k'.repeat(300), 'Amount',
          ),
          fc.string({ maxLength: 10 }),
        ),
        hostileValue,
      ),
      { minLength: 1, maxLength: 4 },
    ),
    manyKeys: fc.oneof({ weight: 20, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 100, max: 3000 }) }),
  })
  .map(({ body, changes, manyKeys }) => {
    const out: Record<string, unknown> = { ...body };
    // defineProperty, so "__proto__" becomes an own key as JSON.parse would make it
    for (const [k, v] of changes) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
    for (let i = 0; i < manyKeys; i++) out[`extra_${i}`] = i;
    return out;
  });

/** Raw request text: what a JSON library would never write. */
const rawText = fc.oneof(
  fc.integer({ min: 1, max: 40_000 }).map((d) => `${'['.repeat(d)}${']'.repeat(d)}`),
  fc.integer({ min: 1, max: 12_000 }).map((d) => `${'{"a":'.repeat(d)}1${'}'.repeat(d)}`),
  fc
    .constantFrom('1e400', '-1e400', '1E-400', '123456789012345678901234567890.123', '-0', '0.0000000000000000000001')
    .map((n) => `{"timestamp":"2026-01-01T00:00:00Z","account_id":"A","amount":${n},"account_balance":${n}}`),
  fc.constant('{"timestamp":"2026-01-01T00:00:00Z","account_id":"A","amount":"1","amount":"2","AMOUNT":"3"}'),
  fc.constant('{"timestamp":"2026-01-01T00:00:00Z","account_id":"\\ud800\\udfff\\ud800","amount":"1.00","note":"\\u0000"}'),
  fc.constant('{"__proto__":{"amount":"1"},"timestamp":"2026-01-01T00:00:00Z","account_id":"A","amount":"5"}'),
  fc.constant('{"constructor":{"prototype":{"x":1}},"timestamp":"2026-01-01T00:00:00Z","account_id":"A","amount":"5"}'),
  fc.constantFrom('', ' ', 'null', '[]', '"x"', '42', 'true', '{', '{"a":', '{"a":1,}', "{'a':1}", 'NaN', '\uFEFF{}'),
  fc.json({ maxDepth: 4 }),
  fc.string({ maxLength: 60 }),
  mutatedBody.map((b) => JSON.stringify(b)).chain((t) => fc.nat(t.length).map((n) => t.slice(0, n))),
  mutatedBody.map((b) => `\uFEFF${JSON.stringify(b)}`),
  mutatedBody.map((b) => `${' '.repeat(5000)}${JSON.stringify(b)}\n\n`),
);

/** What is sent: bytes (not always UTF-8) and a content type (not always JSON). */
interface Request {
  payload: Buffer;
  contentType: string | undefined;
  /** The body as JSON.parse reads it, when it does. */
  value?: unknown;
}

const request: fc.Arbitrary<Request> = fc
  .record({
    body: fc.oneof(
      { weight: 3, arbitrary: validBody.map((v) => ({ value: v as unknown })) },
      { weight: 4, arbitrary: mutatedBody.map((v) => ({ value: v as unknown })) },
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => ({ value: v as unknown })) },
      { weight: 3, arbitrary: rawText.map((text) => ({ text })) },
    ),
    encoding: fc.oneof(
      { weight: 12, arbitrary: fc.constant('utf8' as const) },
      { weight: 1, arbitrary: fc.constantFrom('utf16le' as const, 'latin1' as const, 'broken' as const) },
    ),
    contentType: fc.oneof(
      { weight: 12, arbitrary: fc.constant('application/json') },
      {
        weight: 2,
        arbitrary: fc.constantFrom(
          'application/json; charset=utf-8',
          'application/json; charset=latin1',
          'APPLICATION/JSON',
          'application/json;',
          'text/plain',
          'application/x-www-form-urlencoded',
          'multipart/form-data; boundary=x',
          undefined,
        ),
      },
    ),
  })
  .map(({ body, encoding, contentType }) => {
    const text = 'text' in body ? body.text : (JSON.stringify(body.value) ?? 'null');
    const payload =
      encoding === 'broken'
        ? Buffer.concat([Buffer.from(text.slice(0, text.length >> 1)), Buffer.from([0xff, 0xc3, 0xed, 0xa0, 0x80]), Buffer.from(text.slice(text.length >> 1))])
        : Buffer.from(text, encoding);
    let value: unknown;
    try {
      value = JSON.parse(payload.toString('utf8'));
    } catch {
      value = undefined;
    }
    return value === undefined ? { payload, contentType } : { payload, contentType, value };
  });

/** Tokens of the rule language and a few that are not, for rule documents. */
const TOKENS = [
  'amount', '>', '<', '==', '(', ')', 'not', 'and', 'or', '1', '10000', '"x"', "'y'", 'in', 'count', ',', 'card',
  '1m', '24h', '-', '+', '*', '/', '%', 'merchant', 'country', 'list("l")', 'abs', 'max', 'true', 'false', '"', '&&',
];
const expression = fc.oneof(
  { weight: 6, arbitrary: fc.array(fc.constantFrom(...TOKENS), { maxLength: 25 }).map((t) => t.join(' ')) },
  fc.integer({ min: 50, max: 6000 }).map((d) => `${'('.repeat(d)}amount > 1${')'.repeat(d)}`),
  fc.integer({ min: 50, max: 3000 }).map((d) => Array(d).fill('amount > 1').join(' or ')),
  fc.constantFrom('amount / 0 > 1', 'amount % 0 == 0', 'count(card, 1m) > -1', 'merchant in list("l")'),
  fc.string({ maxLength: 30 }),
);

const rule = fc.record(
  {
    id: fc.oneof(fc.stringMatching(/^[a-z][a-z0-9_]{0,10}$/), hostileValue),
    when: fc.oneof({ weight: 5, arbitrary: expression }, { weight: 1, arbitrary: hostileValue }),
    weight: fc.oneof(fc.integer({ min: 0, max: 100 }), hostileValue),
    detail: fc.oneof(
      expression.map((e) => `d {${e}}`),
      hostileValue,
    ),
  },
  { requiredKeys: ['id', 'when'] },
);
const percent = fc.integer({ min: 0, max: 100 });

/** Rules documents as JSON text (a deeply nested one cannot be built as a value and stringified). */
const rulesDocument = fc.oneof(
  {
    weight: 10,
    arbitrary: fc
      .record(
        {
          version: fc.oneof(fc.stringMatching(/^v[0-9]{1,4}$/), hostileValue),
          thresholds: fc.oneof(fc.record({ review: percent, block: percent }), hostileValue),
          lists: fc.oneof(fc.constant({ l: ['a', 'B'] }), hostileValue),
          rules: fc.oneof(fc.array(rule, { maxLength: 4 }), hostileValue),
        },
        { requiredKeys: ['rules'] },
      )
      .map((doc) => JSON.stringify(doc)),
  },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 1000, max: 100_000 }).map((d) => `{"rules":[],"version":${'['.repeat(d)}1${']'.repeat(d)}}`),
  },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: 1000, max: 100_000 })
      .map((d) => `{"rules":[{"id":"r","when":"true","weight":${'['.repeat(d)}1${']'.repeat(d)}}]}`),
  },
);

// ---------------------------------------------------------------------------------------------

/** The admin credential rule changes need. */
const ADMIN_KEY = 'fuzz-admin-key-0123456789';

/** A rules store over memory: validation is the real one, persisting is left out (no disk writes per case). */
function memoryRules(initial: RuleSet): RulesStore & { current(): RuleSet } {
  let set = initial;
  return {
    current: () => set,
    active: async () => ({ version: set.version, document: set.document }),
    activate: async (_version, doc) => {
      set = compileRuleSet(doc);
    },
    changes: async () => [],
  };
}

/** Every problem named, with a reason a person can read. */
function expectReasons(result: RowResult): void {
  if (result.ok) {
    expect(result.transaction.amount).toBeGreaterThan(0);
    for (const v of Object.values(result.transaction.attributes)) expect(v.length).toBeLessThanOrEqual(256);
    return;
  }
  expect(result.errors.length).toBeGreaterThan(0);
  for (const e of result.errors) {
    expect(typeof e.column === 'string' && typeof e.reason === 'string' && e.reason.length > 0).toBe(true);
    expect(e.reason.length).toBeLessThan(400);
  }
}

describe('fuzzing JSON bodies through the validator and the HTTP API', () => {
  let state: SqliteStateStore;
  let app: FastifyInstance;
  const errors: string[] = [];
  const logger: Logger = { info: () => undefined, warn: () => undefined, error: (m) => errors.push(m) };
  const statuses = new Map<number, number>();

  beforeAll(() => {
    state = new SqliteStateStore({ path: ':memory:' });
    const rules = memoryRules(loadRulesFile(BUNDLED_RULES));
    app = buildServer({
      decisions: state,
      features: new FeatureWindows(),
      rules: () => rules.current(),
      rulesStore: rules,
      tokenizer,
      logger,
      admin: { adminKey: ADMIN_KEY },
      labelTransaction: async (id: string, label: Label) => {
        if (!state.getTransactionRecord(id)) return { status: 'not_found' };
        return state.putLabel(id, label, 0);
      },
    });
  });

  afterAll(async () => {
    await app.close();
    state.close();
  });

  /** Sends a request; asserts it was answered below 500 with a JSON body that says why when refused. */
  const send = async (method: 'POST' | 'PUT', url: string, r: Request): Promise<{ status: number; body: Record<string, unknown> }> => {
    const res = await app.inject({
      method,
      url,
      payload: r.payload,
      headers: {
        ...(r.contentType === undefined ? {} : { 'content-type': r.contentType }),
        ...(method === 'PUT' ? { 'x-admin-key': ADMIN_KEY } : {}),
      },
    });
    statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
    expect(res.statusCode, `${method} ${url} answered ${res.statusCode}: ${res.body.slice(0, 300)}`).toBeLessThan(500);
    const body = res.json() as Record<string, unknown>;
    if (res.statusCode >= 400) {
      expect(typeof body.error).toBe('string');
      expect(typeof body.message).toBe('string');
    }
    return { status: res.statusCode, body };
  };

  it(`answers ${RUNS.toLocaleString('en-US')} generated bodies below 500, saying why it refuses one`, async () => {
    let i = 0;
    await fc.assert(
      fc.asyncProperty(request, fc.stringMatching(/^[A-Za-z0-9._~-]{1,20}$/), async (r, id) => {
        i++;
        // Act and assess: the validator alone, when the bytes are JSON
        if (r.value !== undefined) expectReasons(validateObject(r.value, { tokenizer, sourceKey: 'fuzz', row: 0 }));

        // Act and assess: the API
        const posted = await send('POST', '/transactions', r);
        if (posted.status === 201) expect(posted.body.decision).toMatchObject({ outcome: expect.stringMatching(/^(allow|review|block)$/) });
        if (posted.status === 400 && r.value !== undefined && r.contentType === 'application/json') {
          expect(Array.isArray(posted.body.errors) || typeof posted.body.message === 'string').toBe(true);
        }
        if (i % 4 === 1) {
          const known = posted.status === 201 ? String(posted.body.transaction_id) : id;
          await send('POST', `/transactions/${encodeURIComponent(known)}/label`, r);
        }
      }),
      { numRuns: RUNS, seed: SEED },
    );
    expect(errors).toEqual([]);
    // Both sides of the API were reached: decisions and refusals.
    expect(statuses.get(201) ?? 0).toBeGreaterThan(RUNS / 20);
    expect(statuses.get(400) ?? 0).toBeGreaterThan(RUNS / 20);
  }, 600_000);

  it(`answers ${Math.ceil(RUNS / 4).toLocaleString('en-US')} generated rules documents below 500, with the path of each problem`, async () => {
    await fc.assert(
      fc.asyncProperty(rulesDocument, validBody, async (doc, tx) => {
        // Act
        const put = await send('PUT', '/rules', { payload: Buffer.from(doc), contentType: 'application/json' });

        // Assess: a refusal lists its problems; an accepted set scores a transaction without failing
        if (put.status === 400 && put.body.error === 'invalid_json') {
          // Valid JSON refused whole: it holds a prototype key, named in the message.
          expect(put.body.message).toMatch(/"(__proto__|constructor\.prototype)"/);
        } else if (put.status === 400) {
          expect(put.body.error).toBe('invalid_rules');
          expect(Array.isArray(put.body.errors) && (put.body.errors as unknown[]).length > 0).toBe(true);
          expect((put.body.message as string).length).toBeLessThan(20_000);
        } else {
          expect(put.status).toBe(200);
          await send('POST', '/transactions', { payload: Buffer.from(JSON.stringify(tx)), contentType: 'application/json' });
        }
      }),
      { numRuns: Math.ceil(RUNS / 4), seed: SEED },
    );
    expect(errors).toEqual([]);
  }, 600_000);
});
