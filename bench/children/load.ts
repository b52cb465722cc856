// The load generator of the HTTP benchmark, in its own process so it does not share an event
// loop with the server under test. Sends POST /transactions with a unique transaction id per
// request (realistic cardinality: 5,000 accounts, 10,000 terminals, one card per account) and
// prints one JSON line: 2xx responses, their rate, and latency percentiles from every response
// time. Two modes:
//   saturated  autocannon, each connection sending its next request as soon as the last is answered.
//   paced      (spec.rate) open loop: request i is due at start + i / rate, whatever the answers
//              so far, over a pool of keep-alive connections. autocannon's own rate limit is not
//              used for this: it sends each connection's quota for the second back to back, then
//              waits for the next second, so its "1,000 req/s" is a saturated burst followed by
//              idle time, and its latencies are those of the burst.
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';

interface LoadSpec {
  url: string;
  connections: number;
  durationS: number;
  /** Requests per second over all connections; unlimited when absent. */
  rate?: number;
  /** Makes ids unique across runs against the same server. */
  prefix: string;
  /**
   * Event time of the first request, epoch ms; each next one is 250 ms later. Runs against the same
   * server start where the previous one may have ended, so that their events arrive in time order
   * as a live stream's do, not back in the entities' past. @default 2026-01-01
   */
  startMs?: number;
}

const spec = JSON.parse(process.argv[2] ?? '{}') as LoadSpec;

/** A Luhn-valid 16-digit card number for an account (synthetic BIN 412345). */
function cardFor(account: number): string {
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
const START = spec.startMs ?? Date.UTC(2026, 0, 1);
let n = 0;
let state = 0x9e3779b9;
const rand = (m: number): number => {
  state = (Math.imul(state ^ (state >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
  return state % m;
};

function body(): string {
  const i = n++;
  const account = rand(5000);
  return JSON.stringify({
    transaction_id: `${spec.prefix}-${i}`,
    timestamp: new Date(START + i * 250).toISOString(),
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
}

/** Value at quantile q of ascending `xs` (NaN when empty). */
const at = (xs: readonly number[], q: number): number => xs[Math.min(xs.length - 1, Math.floor(q * xs.length))] ?? Number.NaN;
const percentiles = (xs: number[]): { p50: number; p90: number; p99: number; max: number } => {
  xs.sort((a, b) => a - b);
  return { p50: at(xs, 0.5), p90: at(xs, 0.9), p99: at(xs, 0.99), max: xs[xs.length - 1] ?? Number.NaN };
};

async function saturated(): Promise<object> {
  const latencies: number[] = [];
  const instance = autocannon({
    url: spec.url,
    connections: spec.connections,
    duration: spec.durationS,
    requests: [
      {
        method: 'POST',
        path: '/transactions',
        headers: { 'content-type': 'application/json' },
        setupRequest: (request) => ({ ...request, body: body() }),
      },
    ],
  });
  let ok = 0;
  instance.on('response', (_client, status, _bytes, ms) => {
    if (status >= 200 && status < 300) {
      ok++;
      latencies.push(ms);
    }
  });
  const result = await instance;
  return {
    ok,
    rps: ok / result.duration,
    durationS: result.duration,
    non2xx: result.non2xx,
    errors: result.errors,
    latencyMs: percentiles(latencies),
  };
}

/** A paced request with no answer by then counts as an error, so a hung server cannot hang the run. */
const REQUEST_TIMEOUT_MS = 10_000;

/**
 * Open-loop load at `rate` requests/s: request i is due at start + i / rate. A timer wakes for
 * the next due request and sends every request due by then, so a late wake-up never lowers the
 * rate. Latency runs from the moment the request is handed to the HTTP client (which queues it
 * when every connection is busy, so waiting for a connection counts) to the end of the response.
 * How late each request left against its schedule (the generator's own timer and CPU share) is
 * reported too, and so is the latency counted from the due time, which includes that lag.
 */
async function paced(rate: number): Promise<object> {
  const url = new URL('/transactions', spec.url);
  const agent = new Agent({ keepAlive: true, maxSockets: spec.connections });
  const total = Math.round(rate * spec.durationS);
  const interval = 1000 / rate;
  const latencies: number[] = [];
  const lags: number[] = [];
  const fromDue: number[] = [];
  const statusCodes: Record<string, number> = {};
  let ok = 0;
  let non2xx = 0;
  let errors = 0;
  let sent = 0;
  let done = 0;
  const start = performance.now() + 20;
  await new Promise<void>((resolve) => {
    if (total === 0) resolve();
    const finish = (): void => {
      if (++done === total) resolve();
    };
    const send = (due: number): void => {
      const payload = body();
      const t0 = performance.now();
      lags.push(t0 - due);
      // Each request counts once: answered, refused, or cut off (error, close before the end,
      // no answer within the timeout).
      let counted = false;
      const count = (outcome: () => void): void => {
        if (counted) return;
        counted = true;
        outcome();
        finish();
      };
      const failed = (): void => {
        count(() => errors++);
      };
      const req = request(
        url,
        { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } },
        (res) => {
          res.resume();
          res.on('end', () => {
            count(() => {
              const code = res.statusCode ?? 0;
              statusCodes[code] = (statusCodes[code] ?? 0) + 1;
              if (code >= 200 && code < 300) {
                ok++;
                const end = performance.now();
                latencies.push(end - t0);
                fromDue.push(end - due);
              } else non2xx++;
            });
          });
          res.on('error', failed);
          res.on('close', failed);
        },
      );
      req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`no answer in ${REQUEST_TIMEOUT_MS} ms`)));
      req.on('error', failed);
      req.end(payload);
    };
    const tick = (): void => {
      const now = performance.now();
      while (sent < total && start + sent * interval <= now) send(start + sent++ * interval);
      if (sent < total) setTimeout(tick, Math.max(0, start + sent * interval - performance.now()));
    };
    setTimeout(tick, 20);
  });
  const durationS = (performance.now() - start) / 1000;
  agent.destroy();
  return {
    ok,
    rps: ok / durationS,
    durationS,
    non2xx,
    errors,
    statusCodes,
    latencyMs: percentiles(latencies),
    sendLagMs: percentiles(lags),
    fromDueMs: percentiles(fromDue),
  };
}

console.log(JSON.stringify(spec.rate ? await paced(spec.rate) : await saturated()));
