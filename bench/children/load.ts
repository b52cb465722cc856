// The load generator of the HTTP benchmark, in its own process so it does not share an event
// loop with the server under test. Sends POST /transactions with a unique transaction id per
// request (realistic cardinality: 5,000 accounts, 10,000 terminals, one card per account) and
// prints one JSON line: 2xx responses, their rate, and latency percentiles from every response
// time (autocannon's own histogram rounds to whole milliseconds).
import autocannon from 'autocannon';

interface LoadSpec {
  url: string;
  connections: number;
  durationS: number;
  /** Requests per second over all connections; unlimited when absent. */
  rate?: number;
  /** Makes ids unique across runs against the same server. */
  prefix: string;
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
const START = Date.UTC(2026, 0, 1);
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

const latencies: number[] = [];
const instance = autocannon({
  url: spec.url,
  connections: spec.connections,
  duration: spec.durationS,
  ...(spec.rate ? { overallRate: spec.rate } : {}),
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
latencies.sort((a, b) => a - b);
const at = (q: number): number => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN;
console.log(
  JSON.stringify({
    ok,
    rps: ok / result.duration,
    durationS: result.duration,
    non2xx: result.non2xx,
    errors: result.errors,
    statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats).map(([k, v]) => [k, v.count])),
    latencyMs: { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: latencies[latencies.length - 1] ?? Number.NaN },
    autocannonLatencyMs: { p50: result.latency.p50, p99: result.latency.p99 },
  }),
);
