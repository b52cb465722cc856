import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLocalRuntime, type LocalWiring } from '../../src/local/wiring.js';
import { silentLogger } from '../../src/ports/Logger.js';
import { API_EXAMPLES, EXAMPLE_SETUP } from '../../src/server/apiExamples.js';
import { ROOT } from '../helpers/cli.js';
import { tempDir } from '../helpers/fixtures.js';

/** The parts of an OpenAPI 3 document these tests read. */
interface Operation {
  operationId?: string;
  parameters?: { name: string; in: string; required?: boolean; schema?: unknown }[];
  requestBody?: { content: Record<string, { schema: unknown; examples?: Record<string, { value: unknown }> }> };
  responses: Record<string, { description?: string; content?: Record<string, { schema: unknown; examples?: Record<string, { value: unknown }> }> }>;
  security?: Record<string, string[]>[];
}
interface OpenApi {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, { type: string; in: string; name: string }> };
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
/** Fields whose value is the wall clock of the run, not a result of the request. */
const WALL_CLOCK = new Set(['decided_at', 'created_at', 'at', 'uptime_s']);

/** A `fraudmini start` on an empty data dir, set up as the examples' server was. */
function exampleServer(env: Record<string, string> = {}): { wiring: LocalWiring; stop: () => Promise<void> } {
  const t = tempDir();
  const wiring = createLocalRuntime(
    loadConfig({ FRAUDMINI_ADMIN_KEY: EXAMPLE_SETUP.adminKey, FRAUDMINI_TOKEN_KEY: EXAMPLE_SETUP.tokenKey, ...env }, { dataDir: t.dir, port: 0 }),
    // The console sink would print each example's alert.
    { logger: silentLogger, alertOut: { write: () => true } as unknown as NodeJS.WritableStream },
  );
  return {
    wiring,
    stop: async () => {
      await wiring.runtime.stop();
      t.cleanup();
    },
  };
}

/** `actual` with each wall-clock field that `expected` also has, of the same type, set to the expected value. */
function withClockOf(actual: unknown, expected: unknown): unknown {
  if (Array.isArray(actual) && Array.isArray(expected)) return actual.map((a, i) => withClockOf(a, expected[i]));
  if (actual === null || typeof actual !== 'object' || expected === null || typeof expected !== 'object') return actual;
  const e = expected as Record<string, unknown>;
  return Object.fromEntries(
    Object.entries(actual).map(([k, v]) => [k, WALL_CLOCK.has(k) && typeof v === typeof e[k] ? e[k] : withClockOf(v, e[k])]),
  );
}

/** Every `METHOD /path` the server answers (bar HEAD, which Fastify adds to each GET), from its route tree. */
function servedRoutes(app: FastifyInstance): string[] {
  const served: string[] = [];
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^((?:│ {3}| {4})*)[├└]── (\S+)(?: \(([^)]+)\))?$/.exec(line);
    if (!m) continue;
    const depth = (m[1] ?? '').length / 4;
    stack.length = depth;
    stack.push(m[2] ?? '');
    for (const method of (m[3] ?? '').split(', ').filter((x) => x !== '' && x !== 'HEAD')) served.push(`${method} ${stack.join('')}`);
  }
  return served.sort();
}

/** Every `$ref` in a JSON value. */
function refs(v: unknown): string[] {
  if (Array.isArray(v)) return v.flatMap(refs);
  if (v === null || typeof v !== 'object') return [];
  return Object.entries(v).flatMap(([k, x]) => (k === '$ref' && typeof x === 'string' ? [x] : refs(x)));
}

describe('OpenAPI document (GET /openapi.json)', () => {
  let server: ReturnType<typeof exampleServer>;
  let app: FastifyInstance;
  let doc: OpenApi;
  let ajv: Ajv;

  /** The documented schema of an answer, compiled; fails when the status is not documented for the operation. */
  const responseSchema = (method: string, path: string, status: number): ValidateFunction => {
    const op = doc.paths[path]?.[method.toLowerCase()];
    expect(op, `${method} ${path} is documented`).toBeDefined();
    const response = op?.responses[String(status)];
    expect(response, `${method} ${path} documents ${status}`).toBeDefined();
    const schema = response?.content?.['application/json']?.schema;
    expect(schema, `${method} ${path} ${status} has a JSON schema`).toBeDefined();
    return ajv.compile(JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"openapi#/components/')) as object);
  };

  beforeAll(async () => {
    server = exampleServer();
    app = server.wiring.server;
    const res = await app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    doc = res.json() as OpenApi;
    // OpenAPI 3.0 schemas: `nullable` is understood, `example`/`description` are annotations; formats are not checked.
    ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
    ajv.addSchema({ $id: 'openapi', components: doc.components });
  });

  afterAll(async () => {
    await server.stop();
  });

  it('is an OpenAPI 3.0 document: operations with responses, declared path parameters, resolvable $refs and security schemes', () => {
    // Assess: the header
    expect(doc.openapi).toMatch(/^3\.0\.\d+$/);
    expect(doc.info.title).toBe('fraudmini');
    expect(typeof doc.info.version).toBe('string');
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(['adminKey', 'apiKey']);
    for (const scheme of Object.values(doc.components.securitySchemes)) expect(scheme).toMatchObject({ type: 'apiKey', in: 'header' });

    // Assess: every operation
    const ids: string[] = [];
    for (const [path, ops] of Object.entries(doc.paths)) {
      expect(path).toMatch(/^\//);
      for (const [method, op] of Object.entries(ops)) {
        const name = `${method} ${path}`;
        expect(METHODS, name).toContain(method);
        ids.push(op.operationId ?? '');
        expect(Object.keys(op.responses).length, name).toBeGreaterThan(0);
        for (const [status, r] of Object.entries(op.responses)) {
          expect(status, name).toMatch(/^(default|[1-5](\d\d|XX))$/);
          expect(typeof r.description, `${name} ${status}`).toBe('string');
        }
        const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
        const declared = (op.parameters ?? []).filter((p) => p.in === 'path');
        expect(declared.map((p) => p.name).sort(), name).toEqual(inPath.sort());
        for (const p of declared) expect(p.required, `${name} ${p.name}`).toBe(true);
        for (const p of op.parameters ?? []) expect(['path', 'query', 'header', 'cookie'], name).toContain(p.in);
        for (const requirement of op.security ?? []) {
          for (const scheme of Object.keys(requirement)) expect(Object.keys(doc.components.securitySchemes), name).toContain(scheme);
        }
      }
    }
    expect(ids.every((id) => id !== ''), 'every operation has an id').toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    for (const r of refs(doc)) {
      const m = /^#\/components\/schemas\/(.+)$/.exec(r);
      expect(m && doc.components.schemas[m[1] ?? ''], r).toBeTruthy();
    }
    // Every schema in the document is one a validator accepts.
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        for (const status of Object.keys(op.responses)) {
          if (status !== 'default') expect(() => responseSchema(method, path, Number(status)), `${method} ${path} ${status}`).not.toThrow();
        }
      }
    }
  });

  it('documents every route the server answers, and no other', () => {
    // Prepare
    const documented = Object.entries(doc.paths)
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`))
      .sort();

    // Assess
    expect(documented).toEqual(servedRoutes(app));
    expect(documented).toContain('PUT /rules');
    expect(documented).toContain('GET /openapi.json');
  });

  it('shows as each example what a fresh fraudmini start answers to its request, in the documented shape', async () => {
    // Prepare: a server of its own, so that the examples run on an empty data dir in their order
    const fresh = exampleServer();
    try {
      for (const e of API_EXAMPLES) {
        // Act
        const res = await fresh.wiring.server.inject({
          method: e.method,
          url: e.request.url,
          headers: e.request.headers,
          ...(e.request.body === undefined ? {} : { payload: e.request.body as object }),
        });

        // Assess: the answer the example shows (bar the wall clock), valid against the documented schema
        const body: unknown = res.json();
        expect({ example: e.name, status: res.statusCode }).toEqual({ example: e.name, status: e.status });
        expect(withClockOf(body, e.response), e.name).toEqual(e.response);
        const validate = responseSchema(e.method, e.route.replace(/:(\w+)/g, '{$1}'), e.status);
        expect(validate(body) ? [] : validate.errors, e.name).toEqual([]);
      }
    } finally {
      await fresh.stop();
    }
  });

  it('places every example under its operation and status', () => {
    for (const e of API_EXAMPLES) {
      // Prepare
      const op = doc.paths[e.route.replace(/:(\w+)/g, '{$1}')]?.[e.method.toLowerCase()];

      // Assess
      expect(op?.responses[String(e.status)]?.content?.['application/json']?.examples?.[e.name]?.value, e.name).toEqual(e.response);
      if (e.request.body !== undefined) expect(op?.requestBody?.content['application/json']?.examples?.[e.name]?.value, e.name).toEqual(e.request.body);
    }
  });

  it('answers in the documented shape for the statuses the examples do not show', async () => {
    // Prepare: the same server with an API key, and requests for the other documented statuses
    const keyed = exampleServer({ FRAUDMINI_API_KEY: 'k'.repeat(32) });
    const key = { 'x-api-key': 'k'.repeat(32) };
    const json = { ...key, 'content-type': 'application/json' };
    const tx = { transaction_id: 'S1', timestamp: '2026-03-01T12:00:00Z', account_id: 'A1', amount: '10.00' };
    const requests: [string, InjectOptions][] = [
      ['/transactions', { method: 'POST', url: '/transactions', headers: key, payload: { ...tx, note: 'x'.repeat(70_000) } }],
      ['/transactions', { method: 'POST', url: '/transactions', headers: { ...key, 'content-type': 'application/xml' }, payload: '<tx/>' }],
      ['/transactions', { method: 'POST', url: '/transactions', headers: json, payload: '{"amount": ' }],
      ['/transactions', { method: 'POST', url: '/transactions', payload: tx }],
      ['/transactions/{id}/label', { method: 'POST', url: '/transactions/S9/label', headers: key, payload: { label: 'fraud' } }],
      ['/alerts', { method: 'GET', url: '/alerts?limit=0', headers: key }],
      ['/rules/audit', { method: 'GET', url: '/rules/audit', headers: key }],
      ['/rules/audit', { method: 'GET', url: '/rules/audit?limit=5000', headers: { ...key, 'x-admin-key': EXAMPLE_SETUP.adminKey } }],
      ['/rules', { method: 'PUT', url: '/rules', headers: key, payload: { rules: [] } }],
      ['/stats', { method: 'GET', url: '/stats' }],
      ['/openapi.json', { method: 'GET', url: '/openapi.json', headers: key }],
      ['/healthz', { method: 'GET', url: '/healthz' }],
    ];
    const statuses: string[] = [];
    try {
      for (const [path, request] of requests) {
        // Act
        const res = await keyed.wiring.server.inject(request);

        // Assess
        const name = `${request.method} ${request.url} → ${res.statusCode}`;
        statuses.push(`${request.method} ${path} ${res.statusCode}`);
        const validate = responseSchema(request.method ?? 'GET', path, res.statusCode);
        expect(validate(res.json()) ? [] : validate.errors, name).toEqual([]);
      }
    } finally {
      await keyed.stop();
    }
    expect(statuses).toEqual([
      'POST /transactions 413',
      'POST /transactions 415',
      'POST /transactions 400',
      'POST /transactions 401',
      'POST /transactions/{id}/label 404',
      'GET /alerts 400',
      'GET /rules/audit 401',
      'GET /rules/audit 400',
      'PUT /rules 401',
      'GET /stats 401',
      'GET /openapi.json 200',
      'GET /healthz 200',
    ]);
  });

  it('is committed as docs/openapi.json, as the server generates it (npm run openapi writes it)', () => {
    // Prepare
    const committed: unknown = JSON.parse(readFileSync(join(ROOT, 'docs/openapi.json'), 'utf8'));

    // Assess
    expect(committed).toEqual(doc);
  });
});
