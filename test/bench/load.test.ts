import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
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
 * returns what it prints and when it was spawned (on the clock `performance.timeOrigin + now()`,
 * comparable across processes). The server is closed before this resolves.
 */
async function pacedAgainst(
  handler: Parameters<typeof createServer>[1],
  spec: { connections: number; durationS: number; rate: number },
): Promise<{ printed: Printed; spawnedAt: number }> {
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
    const spawnedAt = performance.timeOrigin + performance.now();
    const stdout = await new Promise<string>((done, fail) => {
      execFile(process.execPath, args, { cwd: ROOT }, (error, o) => (error ? fail(error) : done(o)));
    });
    return { printed: JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Printed, spawnedAt };
  } finally {
    await new Promise((closed) => server.close(closed));
  }
}

// The HTTP benchmark's paced load must be open loop: requests spread over the run at the asked
// rate, not each second's quota sent back to back (what autocannon's rate limit does, which made
// "latency at 1,000 req/s" the latency of a saturated burst). Checked against a tiny server that
// records when each request arrives. No speed is judged: a slower machine only spreads them more.
describe('bench load generator, paced mode', () => {
  const arrivals: number[] = [];
  const bodies: { transaction_id?: string; card_number?: string }[] = [];
  /** When the child was started, on the clock the arrivals use (comparable across processes). */
  let spawnedAt = 0;
  let printed: Printed;

  beforeAll(async () => {
    // Arrange: a server that records when each request arrives
    const record: Parameters<typeof createServer>[1] = (req, res) => {
      arrivals.push(performance.timeOrigin + performance.now());
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString()));
      req.on('end', () => {
        bodies.push(JSON.parse(raw) as { transaction_id?: string; card_number?: string });
        res.writeHead(201, { 'content-type': 'application/json' }).end('{}');
      });
    };
    // Act: 200 requests/s for 1 s over 4 connections.
    ({ printed, spawnedAt } = await pacedAgainst(record, { connections: 4, durationS: 1, rate: 200 }));
  }, 60_000);

  it('sends rate × duration requests, each with its own transaction id, all answered', () => {
    // Assess
    expect(arrivals).toHaveLength(200);
    expect(printed.ok).toBe(200);
    expect(printed.non2xx + printed.errors).toBe(0);
    expect(new Set(bodies.map((b) => b.transaction_id)).size).toBe(200);
    expect(bodies.every((b) => /^4\d{15}$/.test(b.card_number ?? ''))).toBe(true);
  });

  it('never sends a request before its due time, so the requests spread over the run', () => {
    // Assess: request k is due 5 ms × k after the child's start, which is after its spawn, so the
    // k-th arrival can come no sooner. A burst of each second's quota would break this within
    // the first few requests; lateness only delays arrivals, so a slow machine cannot break it.
    const sorted = [...arrivals].sort((a, b) => a - b);
    const early = sorted.filter((t, k) => t < spawnedAt + 5 * k - 1);
    expect(early).toEqual([]);
    expect((sorted.at(-1) as number) - spawnedAt).toBeGreaterThanOrEqual(994);
  });

  it('reports latency from the send and from the due time, and the send lag', () => {
    // Assess
    expect(printed.latencyMs.p50).toBeGreaterThan(0);
    expect(printed.latencyMs.p99).toBeGreaterThanOrEqual(printed.latencyMs.p50);
    expect(printed.sendLagMs.p99).toBeGreaterThanOrEqual(0);
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
    ({ printed } = await pacedAgainst(failing, { connections: 4, durationS: 0.5, rate: 200 }));
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
