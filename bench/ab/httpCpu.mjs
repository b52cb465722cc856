#!/usr/bin/env node
// CPU per POST /transactions of `fraudmini start`, for A/B comparisons of built checkouts on a
// shared machine, where req/s moves with the neighbours' load but the server's own CPU time per
// request does not (much). For each round and each checkout, in alternating order: `fraudmini
// start` on a fresh data dir (rules only, as benchmark 4), a warm-up, then N requests over 10
// connections as fast as they are answered (autocannon, bodies as bench/children/load.ts sends),
// reading the server's CPU time (every thread: /proc/PID/stat) before and after. Prints µs of
// server CPU per request for each run and the median of each checkout. Usage:
//   node bench/ab/httpCpu.mjs [--rounds 4] [--requests 20000] [--prof DIR] CHECKOUT_A [CHECKOUT_B ...]
// Main thread: its own CPU time only, the share that bounds saturated throughput.
// --prof: a single checkout run under `node --cpu-prof` (profile written to DIR on exit).
import { readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { startRuntime } from './startRuntime.mjs';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { rounds: { type: 'string', default: '4' }, requests: { type: 'string', default: '20000' }, prof: { type: 'string' } },
});
const rounds = Number(values.rounds);
const requests = Number(values.requests);
const checkouts = positionals.map((p) => resolve(p));
if (checkouts.length === 0) {
  process.stderr.write('usage: httpCpu.mjs [--rounds R] [--requests N] [--prof DIR] CHECKOUT...\n');
  process.exit(2);
}
const autocannon = createRequire(join(checkouts[0], 'package.json'))('autocannon');
const TICKS = 100; // USER_HZ on Linux

/** CPU time of a process (every thread) or, given `thread`, of its main thread only, in ms. */
function cpuMs(pid, thread = false) {
  const stat = readFileSync(thread ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / TICKS;
}

function cardFor(account) {
  const body = `412345${String(account).padStart(9, '0')}`;
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let d = body.charCodeAt(body.length - 1 - i) - 48;
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return body + String((10 - (sum % 10)) % 10);
}
const CARDS = Array.from({ length: 5000 }, (_, a) => cardFor(a));

function bodies(prefix, startMs) {
  let n = 0;
  let state = 0x9e3779b9;
  const rand = (m) => {
    state = (Math.imul(state ^ (state >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return state % m;
  };
  return () => {
    const i = n++;
    const account = rand(5000);
    return JSON.stringify({
      transaction_id: `${prefix}-${i}`,
      timestamp: new Date(startMs + i * 250).toISOString(),
      account_id: `A${String(account).padStart(7, '0')}`,
      card_number: CARDS[account],
      amount: ((100 + rand(20000)) / 100).toFixed(2),
      currency: 'USD',
      merchant: `Store #${rand(2000)}`,
      merchant_category: 'grocery',
      terminal_id: `T${String(rand(10000)).padStart(6, '0')}`,
      country: 'US',
      account_balance: '2500.00',
      channel: 'pos',
    });
  };
}

async function fire(url, amount, body) {
  let non2xx = 0;
  const instance = autocannon({
    url,
    connections: 10,
    amount,
    requests: [{ method: 'POST', path: '/transactions', headers: { 'content-type': 'application/json' }, setupRequest: (r) => ({ ...r, body: body() }) }],
  });
  instance.on('response', (_c, status) => {
    if (status < 200 || status >= 300) non2xx++;
  });
  const r = await instance;
  return { rps: r.requests.average, non2xx: non2xx + r.errors };
}

async function once(checkout, round) {
  const flags = values.prof ? ['--cpu-prof', '--cpu-prof-dir', resolve(values.prof)] : [];
  const { child, api, dir } = await startRuntime(checkout, { nodeFlags: flags, prefix: 'fraudmini-httpcpu-' });
  try {
    const body = bodies(`R${round}`, Date.UTC(2026, 0, 1));
    await fire(api, Math.min(5000, requests), body);
    const c0 = cpuMs(child.pid);
    const m0 = cpuMs(child.pid, true);
    const t0 = performance.now();
    const r = await fire(api, requests, body);
    const wall = performance.now() - t0;
    const cpu = cpuMs(child.pid) - c0;
    const main = cpuMs(child.pid, true) - m0;
    return { usPerReq: (cpu * 1000) / requests, mainUsPerReq: (main * 1000) / requests, rps: (requests * 1000) / wall, non2xx: r.non2xx };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const results = checkouts.map(() => []);
const mains = checkouts.map(() => []);
for (let round = 0; round < rounds; round++) {
  const order = checkouts.map((_, i) => i);
  if (round % 2 === 1) order.reverse();
  for (const i of order) {
    const r = await once(checkouts[i], round);
    results[i].push(r.usPerReq);
    mains[i].push(r.mainUsPerReq);
    process.stdout.write(`round ${round + 1} ${checkouts[i]}: ${r.usPerReq.toFixed(1)} µs CPU/req (main thread ${r.mainUsPerReq.toFixed(1)}), ${Math.round(r.rps)} req/s${r.non2xx ? `, ${r.non2xx} non-2xx/errors` : ''}\n`);
  }
}
for (let i = 0; i < checkouts.length; i++) {
  const m = median(results[i]);
  const mm = median(mains[i]);
  const rel = i > 0 ? ` (${(m / median(results[0])).toFixed(3)}x, main thread ${(mm / median(mains[0])).toFixed(3)}x of the first)` : '';
  const list = (xs) => xs.map((x) => x.toFixed(1)).join(', ');
  process.stdout.write(`median ${checkouts[i]}: ${m.toFixed(1)} µs CPU/req [${list(results[i])}], main thread ${mm.toFixed(1)} [${list(mains[i])}]${rel}\n`);
}
