import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

/** What the load child prints for a paced run. */
interface Printed {
  ok: number;
  rps: number;
  non2xx: number;
  errors: number;
  latencyMs: { p50: number; p99: number };
  sendLagMs: { p99: number };
  fromDueMs: { p99: number };
}

// The load child, built once for the file into a folder inside the repository (so it resolves
// node_modules), removed after the last test.
mkdirSync(join(ROOT, 'var'), { recursive: true });
const buildDir = mkdtempSync(join(ROOT, 'var', 'load-test-'));
let built: Promise<unknown> | undefined;
afterAll(() => rmSync(buildDir, { recursive: true, force: true }));

/**
 * Runs the load child at `rate` requests/s against a server with `handler` on a free port, and
 * returns what it prints. The server is closed before this resolves.
 */
async function pacedAgainst(
  handler: Parameters<typeof createServer>[1],
  spec: { connections: number; durationS: number; rate: number; startMs?: number },
): Promise<Printed> {
  built ??= build({
    entryPoints: [join(ROOT, 'bench', 'children', 'load.ts')],
    outfile: join(buildDir, 'load.mjs'),
    format: 'esm',
    platform: 'node',
    target: 'node20',
    logLevel: 'warning',
  });
  await built;
  const server = createServer(handler);
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const args = [join(buildDir, 'load.mjs'), JSON.stringify({ ...spec, url, prefix: 'paced' })];
    const stdout = await new Promise<string>((done, fail) => {
      execFile(process.execPath, args, { cwd: ROOT }, (error, o) => (error ? fail(error) : done(o)));
    });
    return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Printed;
  } finally {
    await new Promise((closed) => server.close(closed));
  }
}

// The HTTP benchmark's paced load: rate × duration requests, each its own transaction, counted
// once whatever the server does. Checked against a tiny server that records what it receives.
// When requests are sent is not checked here: that is a matter of wall-clock time across two
// processes, which a test on a shared machine cannot judge; the benchmark reports the send lag.
describe('bench load generator, paced mode', () => {
  let received = 0;
  const bodies: { transaction_id?: string; card_number?: string }[] = [];
  let printed: Printed;

  beforeAll(async () => {
    // Arrange: a server that records each request it receives
    const record: Parameters<typeof createServer>[1] = (req, res) => {
      received++;
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString()));
      req.on('end', () => {
        bodies.push(JSON.parse(raw) as { transaction_id?: string; card_number?: string });
        res.writeHead(201, { 'content-type': 'application/json' }).end('{}');
      });
    };
    // Act: 200 requests/s for 1 s over 4 connections.
    printed = await pacedAgainst(record, { connections: 4, durationS: 1, rate: 200 });
  }, 60_000);

  it('sends rate × duration requests, each with its own transaction id, all answered', () => {
    // Assess
    expect(received).toBe(200);
    expect(printed.ok).toBe(200);
    expect(printed.non2xx + printed.errors).toBe(0);
    expect(new Set(bodies.map((b) => b.transaction_id)).size).toBe(200);
    expect(bodies.every((b) => /^4\d{15}$/.test(b.card_number ?? ''))).toBe(true);
  });

  it('reports latency from the send and from the due time, and the send lag, as percentiles', () => {
    // Assess: figures present and consistent with one another (a later percentile is no smaller;
    // time from the due time includes the send lag), whatever their size: no speed is judged.
    for (const v of [printed.latencyMs.p50, printed.latencyMs.p99, printed.sendLagMs.p99, printed.fromDueMs.p99]) {
      expect(Number.isFinite(v)).toBe(true);
      expect(v).toBeGreaterThanOrEqual(0);
    }
    expect(printed.latencyMs.p99).toBeGreaterThanOrEqual(printed.latencyMs.p50);
    expect(printed.fromDueMs.p99).toBeGreaterThanOrEqual(printed.latencyMs.p50);
  });
});

describe('bench load generator, paced mode, against a failing server', () => {
  let printed: Printed;
  let refused = 0;
  let cut = 0;

  beforeAll(async () => {
    // Arrange: every 5th request is refused with a 503, every 7th has its connection cut.
    let n = 0;
    const failing: Parameters<typeof createServer>[1] = (req, res) => {
      const k = n++;
      req.resume();
      req.on('end', () => {
        if (k % 7 === 3) {
          cut++;
          req.socket.destroy();
        } else if (k % 5 === 0) {
          refused++;
          res.writeHead(503).end();
        } else res.writeHead(201).end('{}');
      });
    };
    // Act
    printed = await pacedAgainst(failing, { connections: 4, durationS: 0.5, rate: 200 });
  }, 60_000);

  it('counts every request once, as answered, refused or failed, and still finishes', () => {
    // Assess
    expect(cut).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
    expect(printed.errors).toBe(cut);
    expect(printed.non2xx).toBe(refused);
    expect(printed.ok + printed.non2xx + printed.errors).toBe(100);
  });
});

describe('bench load generator, event times', () => {
  const times: number[] = [];

  beforeAll(async () => {
    // Arrange: a server that records each body's timestamp
    const record: Parameters<typeof createServer>[1] = (req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString()));
      req.on('end', () => {
        times.push(Date.parse((JSON.parse(raw) as { timestamp: string }).timestamp));
        res.writeHead(201, { 'content-type': 'application/json' }).end('{}');
      });
    };
    // Act: a run that starts its events a day after the default start, as a second run would.
    await pacedAgainst(record, { connections: 2, durationS: 0.25, rate: 200, startMs: Date.UTC(2026, 0, 2) });
  }, 60_000);

  it('starts at the given event time and moves forward by 250 ms a request, so a later run never goes back in time', () => {
    // Assess
    expect(times).toHaveLength(50);
    const sorted = [...times].sort((a, b) => a - b);
    expect(sorted).toEqual(Array.from({ length: 50 }, (_, i) => Date.UTC(2026, 0, 2) + i * 250));
  });
});
