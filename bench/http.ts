import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { type BenchContext, cliEnv, cliPath } from './lib/context.js';
import { drain, runNode, startNode, stopChild, waitForOutput } from './lib/proc.js';
import { type BenchResult, fmt, measured, result } from './lib/report.js';

/** What the load child prints. */
interface LoadResult {
  ok: number;
  rps: number;
  non2xx: number;
  errors: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  /** Paced runs: how late requests left against their schedule (the generator's own lag). */
  sendLagMs?: { p50: number; p90: number; p99: number; max: number };
  /** Paced runs: latency counted from each request's due time, the send lag included. */
  fromDueMs?: { p50: number; p90: number; p99: number; max: number };
}

const CONNECTIONS = 10;
const FIXED_RATE = 1000;

let loadRuns = 0;

/** Event time of the first load run's first request. */
const EVENTS_FROM = Date.UTC(2026, 0, 1);
/**
 * Event time between the starts of two load runs: more than a run's requests span (one every
 * 250 ms of event time), so each run's events come after the last run's, in time order, as a live
 * stream's do. Runs replaying the same hours would send every request after the first run into the
 * entities' past: the feature windows' late-event path, which a live stream seldom takes.
 */
const DAY_MS = 86_400_000;

async function load(ctx: BenchContext, url: string, seconds: number, rate?: number): Promise<LoadResult> {
  const run = loadRuns++;
  const spec = { url, connections: CONNECTIONS, durationS: seconds, rate, prefix: `H${process.pid}-${run}`, startMs: EVENTS_FROM + run * DAY_MS };
  const r = await runNode(ctx.paths, join(ctx.paths.buildDir, 'children', 'load.js'), [JSON.stringify(spec)]);
  if (r.code !== 0) throw new Error(`load generator failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as LoadResult;
}

/**
 * Benchmark 4: the HTTP API. `fraudmini start` (rules only, fresh data dir: each POST is
 * validated, tokenised, scored and committed to SQLite before the 201) against a bare Fastify app
 * echoing the same JSON body, both loaded from a third process over 10 connections with a unique
 * transaction id per request. Saturated throughput (autocannon), then latency under open-loop load
 * at a fixed 1,000 requests/s, one due every millisecond (see `children/load.ts`); runs alternate
 * between the two servers.
 */
export async function httpBenchmark(ctx: BenchContext): Promise<BenchResult[]> {
  const dataDir = join(ctx.tmp, 'http');
  rmSync(dataDir, { recursive: true, force: true });
  const children: ChildProcess[] = [];
  try {
    const app = startNode(ctx.paths, cliPath(ctx), ['start', '--data-dir', dataDir, '--port', '0'], { env: cliEnv() });
    children.push(app);
    const echo = startNode(ctx.paths, join(ctx.paths.buildDir, 'children', 'echoServer.js'), []);
    children.push(echo);
    const [, appUrl] = await waitForOutput(app, /API\s+(http:\/\/\S+)/);
    const [, echoUrl] = await waitForOutput(echo, /listening on (http:\/\/\S+)/);
    drain(app);
    drain(echo);
    const servers = { app: appUrl as string, echo: echoUrl as string };
    const s = ctx.sizes;
    ctx.log(`[4 http] warm-up ${s.httpWarmupSeconds} s per server`);
    for (const url of Object.values(servers)) await load(ctx, url, s.httpWarmupSeconds);
    const tput: Record<string, LoadResult[]> = { app: [], echo: [] };
    const fixed: Record<string, LoadResult[]> = { app: [], echo: [] };
    for (let r = 0; r < ctx.runs; r++) {
      for (const [name, url] of Object.entries(servers)) {
        const res = await load(ctx, url, s.httpSeconds);
        tput[name]?.push(res);
        ctx.log(`[4 http] run ${r + 1}/${ctx.runs} ${name} saturated: ${fmt(res.rps)} req/s, p99 ${fmt(res.latencyMs.p99)} ms`);
      }
    }
    for (let r = 0; r < ctx.runs; r++) {
      for (const [name, url] of Object.entries(servers)) {
        const res = await load(ctx, url, s.httpSeconds, FIXED_RATE);
        fixed[name]?.push(res);
        ctx.log(
          `[4 http] run ${r + 1}/${ctx.runs} ${name} at ${FIXED_RATE} req/s: ${fmt(res.rps)} req/s, ` +
            `p50 ${fmt(res.latencyMs.p50)} ms, p99 ${fmt(res.latencyMs.p99)} ms`,
        );
      }
    }
    const bad = [...(tput.app ?? []), ...(fixed.app ?? [])].reduce((n, x) => n + x.non2xx + x.errors, 0);
    const notes = [
      `load from its own process, ${CONNECTIONS} connections, ${s.httpSeconds} s per run; 3 processes share 2 cores`,
      `${bad} non-2xx responses or errors from fraudmini`,
    ];
    const pick = (xs: LoadResult[] | undefined, f: (x: LoadResult) => number): number[] => (xs ?? []).map(f);
    const list = (xs: number[]): string => xs.map((v) => fmt(v)).join(', ');
    const throughput = result({
      id: 'http.throughput',
      benchmark: 4,
      figure: measured('http: POST /transactions, saturated', 'req/s', pick(tput.app, (x) => x.rps)),
      higherIsBetter: true,
      baseline: measured('Fastify echo', 'req/s', pick(tput.echo, (x) => x.rps)),
      notes,
    });
    throughput.target = { text: 'ratio >= 0.5', met: (throughput.ratio ?? 0) >= 0.5 };
    const p99 = result({
      id: 'http.p99',
      benchmark: 4,
      figure: measured(`http: p99 at ${FIXED_RATE} req/s`, 'ms', pick(fixed.app, (x) => x.latencyMs.p99)),
      higherIsBetter: false,
      baseline: measured('Fastify echo', 'ms', pick(fixed.echo, (x) => x.latencyMs.p99)),
      notes: [
        ...notes,
        `open loop, one request due every ${fmt(1000 / FIXED_RATE)} ms; achieved ${pick(fixed.app, (x) => Math.round(x.rps)).join(', ')} req/s`,
        `generator's send lag p99 (how late requests left against their schedule): ${list(pick(fixed.app, (x) => x.sendLagMs?.p99 ?? Number.NaN))} ms`,
        `p99 counted from the due time, send lag included: ${list(pick(fixed.app, (x) => x.fromDueMs?.p99 ?? Number.NaN))} ms (echo: ${list(
          pick(fixed.echo, (x) => x.fromDueMs?.p99 ?? Number.NaN),
        )} ms)`,
      ],
    });
    p99.target = { text: '<= 5 ms', met: p99.figure.summary.median <= 5 };
    const p50 = result({
      id: 'http.p50',
      benchmark: 4,
      figure: measured(`http: p50 at ${FIXED_RATE} req/s`, 'ms', pick(fixed.app, (x) => x.latencyMs.p50)),
      higherIsBetter: false,
      baseline: measured('Fastify echo', 'ms', pick(fixed.echo, (x) => x.latencyMs.p50)),
    });
    return [throughput, p50, p99];
  } finally {
    for (const c of children) await stopChild(c);
    rmSync(dataDir, { recursive: true, force: true });
  }
}
