import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

// The HTTP benchmark's paced load must be open loop: requests spread over the run at the asked
// rate, not each second's quota sent back to back (what autocannon's rate limit does, which made
// "latency at 1,000 req/s" the latency of a saturated burst). Checked against a tiny server that
// records when each request arrives. No speed is judged: a slower machine only spreads them more.
describe('bench load generator, paced mode', () => {
  // Built inside the repository so the child resolves its packages from node_modules.
  mkdirSync(join(ROOT, 'var'), { recursive: true });
  const outDir = mkdtempSync(join(ROOT, 'var', 'load-test-'));
  const arrivals: number[] = [];
  const bodies: { transaction_id?: string; card_number?: string }[] = [];
  let server: Server;
  /** When the child was started, on the clock the arrivals use (comparable across processes). */
  let spawnedAt = 0;
  let printed: {
    ok: number;
    rps: number;
    non2xx: number;
    errors: number;
    latencyMs: { p50: number; p99: number };
    sendLagMs: { p99: number };
    fromDueMs: { p99: number };
  };

  beforeAll(async () => {
    // Arrange
    await build({
      entryPoints: [join(ROOT, 'bench', 'children', 'load.ts')],
      outfile: join(outDir, 'load.mjs'),
      format: 'esm',
      platform: 'node',
      target: 'node20',
      logLevel: 'warning',
    });
    server = createServer((req, res) => {
      arrivals.push(performance.timeOrigin + performance.now());
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString()));
      req.on('end', () => {
        bodies.push(JSON.parse(raw) as { transaction_id?: string; card_number?: string });
        res.writeHead(201, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // Act: 200 requests/s for 1 s over 4 connections.
    const spec = { url, connections: 4, durationS: 1, rate: 200, prefix: 'paced' };
    spawnedAt = performance.timeOrigin + performance.now();
    const stdout = await new Promise<string>((done, fail) => {
      execFile(process.execPath, [join(outDir, 'load.mjs'), JSON.stringify(spec)], { cwd: ROOT }, (error, o) =>
        error ? fail(error) : done(o),
      );
    });
    printed = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as typeof printed;
  }, 60_000);

  afterAll(async () => {
    await new Promise((closed) => server.close(closed));
    rmSync(outDir, { recursive: true, force: true });
  });

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
