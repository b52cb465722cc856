/**
 * The console's reads at scale: fills a fresh data dir's database with 100,000 open alerts (and
 * as many allowed transactions between them, on 5,000 accounts and cards) and measures, through
 * the review store the console reads, paging the queue (newest first and riskiest first, the first
 * page and pages deep in, by key) and opening an alert (transaction, decision, account history,
 * related open alerts). Prints median and p99 in ms; asserts nothing.
 *
 * `npm run build && nice -n 10 node bench/run.mjs console [alerts]`
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type * as ReviewStoreModule from '../src/adapters/local/SqliteReviewStore.js';
import type * as StateStoreModule from '../src/adapters/local/SqliteStateStore.js';
import type { DecidedItem } from '../src/core/records.js';
import { fromDist } from './lib/dist.js';
import { quantile } from './lib/stats.js';

const ACCOUNTS = 5000;
const BATCH = 1000;
/** Measured repetitions of each figure, after a few unmeasured ones. */
const SAMPLES = 300;
const WARMUP = 20;

/** A stored transaction and its decision; every other one raises an alert. */
function item(n: number): DecidedItem {
  const alerting = n % 2 === 0;
  const score = alerting ? 50 + (n * 37) % 50 : (n * 13) % 50;
  const id = `bench-${n}`;
  return {
    transaction: {
      transactionId: id,
      timestamp: Date.UTC(2026, 0, 1) + n * 1000,
      accountId: `acc-${n % ACCOUNTS}`,
      card: { token: `tok-${n % ACCOUNTS}`, bin: '411111', last4: String(1000 + (n % ACCOUNTS) % 9000).slice(-4), masked: `411111******${String(1000 + (n % ACCOUNTS) % 9000).slice(-4)}` },
      amount: (1 + (n % 20_000)) * 10_000,
      currency: 'USD',
      merchant: `merchant-${n % 300}`,
      attributes: {},
    },
    decision: {
      transaction_id: id,
      score,
      outcome: alerting ? (score >= 80 ? 'block' : 'review') : 'allow',
      reasons: alerting ? [{ rule: n % 3 === 0 ? 'velocity' : 'high_value', weight: 60, detail: 'bench' }] : [],
      model_score: null,
      model_version: null,
      rules_score: score,
      rules_version: 'bench-1',
      decided_at: new Date(Date.UTC(2026, 0, 1) + n * 1000).toISOString(),
    },
  };
}

async function time(fn: () => Promise<unknown>): Promise<{ median: number; p99: number }> {
  for (let i = 0; i < WARMUP; i++) await fn();
  const ms: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const t = performance.now();
    await fn();
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  return { median: quantile(ms, 0.5), p99: quantile(ms, 0.99) };
}

/** Runs the benchmark; `alerts` open alerts are stored first. Returns the exit code. */
export async function main(args: string[]): Promise<number> {
  const alerts = args[0] === undefined ? 100_000 : Number(args[0]);
  if (!Number.isInteger(alerts) || alerts < 1000) throw new Error('alerts must be an integer of at least 1000');
  const { SqliteStateStore } = await fromDist<typeof StateStoreModule>('adapters/local/SqliteStateStore.js');
  const { SqliteReviewStore } = await fromDist<typeof ReviewStoreModule>('adapters/local/SqliteReviewStore.js');
  const dir = mkdtempSync(join(tmpdir(), 'fraudmini-bench-console-'));
  try {
    const state = new SqliteStateStore({ path: join(dir, 'fraudmini.db') });
    const fillStart = performance.now();
    for (let n = 0; n < alerts * 2; n += BATCH) {
      await state.commit(Array.from({ length: Math.min(BATCH, alerts * 2 - n) }, (_, i) => item(n + i)));
    }
    const stored = (await state.stats()).alerts;
    process.stdout.write(`filled ${stored.toLocaleString('en-US')} alerts in ${((performance.now() - fillStart) / 1000).toFixed(1)} s\n`);
    const reviews = new SqliteReviewStore({ db: state.db });

    // Cursors deep in the queue: the page after the alert half-way down, in each order.
    const deepId = Math.floor(stored / 2);
    const deep = (await reviews.alertDetail(deepId, 0))?.alert;
    let k = 0;
    const figures: [string, () => Promise<unknown>][] = [
      ['queue, newest first, first page (50)', () => reviews.openAlerts({ order: 'newest', limit: 50 })],
      ['queue, newest first, a page half-way down', () => reviews.openAlerts({ order: 'newest', limit: 50, after: { id: deepId } })],
      ['queue, riskiest first, first page (50)', () => reviews.openAlerts({ order: 'riskiest', limit: 50 })],
      ['queue, riskiest first, a page half-way down', () => reviews.openAlerts({ order: 'riskiest', limit: 50, after: { id: deepId, score: deep?.score ?? 75 } })],
      ['queue, one account, first page', () => reviews.openAlerts({ order: 'newest', limit: 50, account: `acc-${(k++ * 7919) % ACCOUNTS}` })],
      ['open an alert (detail, history 20, related)', () => reviews.alertDetail(1 + ((k++ * 7919) % stored), 20)],
    ];
    process.stdout.write(`${'figure'.padEnd(48)} ${'median ms'.padStart(10)} ${'p99 ms'.padStart(10)}\n`);
    for (const [name, fn] of figures) {
      const { median, p99 } = await time(fn);
      process.stdout.write(`${name.padEnd(48)} ${median.toFixed(3).padStart(10)} ${p99.toFixed(3).padStart(10)}\n`);
    }
    state.close();
    return 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
