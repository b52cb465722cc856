/**
 * `npm run cost`: runs the real Lambda handlers end to end on the emulators (as the end-to-end
 * test does) over generated traffic, counts every AWS request by type and the DynamoDB capacity
 * consumed by table, and prints what a million transactions cost at public list prices:
 *
 * - the file path (S3 → ingest → SQS → score → DynamoDB → SQS → notify → SNS), with on-demand and
 *   provisioned DynamoDB capacity;
 * - the API path (one synchronous POST per transaction) with each capacity mode and each front:
 *   API Gateway REST with WAF (the default), an HTTP API (`-c api=http`) or a Lambda function URL
 *   (`-c api=url`);
 * - a hot-merchant scenario (a third of the traffic at one merchant and terminal), and what the
 *   monthly fixed costs (VPC endpoints, WAF, provisioned capacity's floor) add per million at a
 *   given monthly volume.
 *
 *   npm run cost [-- --customers 1000 --days 2 --api 300 --hot-customers 500 --monthly 30000000 --json]
 *
 * The emulators run in a child process, so their work does not stall the handlers' event loop.
 * Lambda duration is estimated from the handlers' CPU time and their AWS calls (see
 * {@link estimatedUse}); their wall time here, waiting on emulators that share the cores, is
 * printed beside it as an upper bound.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { FinalizeRequestMiddleware } from '@smithy/types';
import type { AwsClients } from '../src/adapters/aws/clients.js';
import { attachRequestCounter, RequestCounter } from '../src/adapters/aws/requestCounter.js';
import { handler as apiHandler, resetApi } from '../src/handlers/api.js';
import { handler as ingestHandler } from '../src/handlers/ingest.js';
import { handler as notifyHandler } from '../src/handlers/notify.js';
import { useClients } from '../src/handlers/runtime.js';
import { handler as scoreHandler } from '../src/handlers/score.js';
import { generateTraffic } from '../src/synth/generateTraffic.js';
import { emulatorClients } from '../test/aws/clients.js';
import { functionUrlEvent } from '../test/aws/apiEvents.js';
import { type AwsEndpoints, startEmulators } from '../test/aws/emulators.js';
import { applyEnv, createStack, dropFile, lambdaContext, pumpQueue, sendTo, type Stack } from '../test/aws/harness.js';
import {
  type ApiOption,
  type CapacityMode,
  estimateCost,
  type FunctionUse,
  formatMatrix,
  monthlyCost,
  type RunUsage,
} from '../infra/cost/estimate.js';
import { PROVISIONED_CAPACITY } from '../infra/capacity.js';
import { INTERFACE_ENDPOINTS, NETWORK_AZS } from '../infra/constructs/network.js';
import { FUNCTION_MEMORY_MB } from '../infra/functionSizes.js';
import { TABLES } from '../src/adapters/aws/tables.js';

const { values } = parseArgs({
  options: {
    customers: { type: 'string', default: '1000' },
    days: { type: 'string', default: '2' },
    api: { type: 'string', default: '300' },
    'hot-customers': { type: 'string', default: '500' },
    monthly: { type: 'string', default: '30000000' },
    utilization: { type: 'string', default: '0.7' },
    json: { type: 'boolean', default: false },
    'serve-emulators': { type: 'boolean', default: false },
  },
});

/** Units consumed, by logical table name. */
type Capacity = Record<string, { readUnits: number; writeUnits: number }>;

/** Size of a DynamoDB attribute value as DynamoDB counts it for capacity (close enough for sizing reads). */
function attributeSize(v: AttributeValue): number {
  if (v.S !== undefined) return Buffer.byteLength(v.S);
  if (v.N !== undefined) return Math.ceil(v.N.replace(/[^0-9]/g, '').length / 2) + 1;
  if (v.B !== undefined) return v.B.byteLength;
  if (v.BOOL !== undefined || v.NULL !== undefined) return 1;
  if (v.SS !== undefined) return v.SS.reduce((n, s) => n + Buffer.byteLength(s), 0);
  if (v.NS !== undefined) return v.NS.reduce((n, s) => n + Math.ceil(s.length / 2) + 1, 0);
  if (v.BS !== undefined) return v.BS.reduce((n, b) => n + b.byteLength, 0);
  if (v.L !== undefined) return 3 + v.L.reduce((n, x) => n + 1 + attributeSize(x), 0);
  if (v.M !== undefined) return 3 + itemSize(v.M);
  return 0;
}

function itemSize(item: Record<string, AttributeValue>): number {
  return Object.entries(item).reduce((n, [k, v]) => n + Buffer.byteLength(k) + attributeSize(v), 0);
}

/** The logical table (`TABLES` key) of a physical name made by the harness (`<logical>-<suffix>`). */
function logicalTable(name: string | undefined): string {
  const logical = (name ?? '').split('-')[0] ?? '';
  return logical in TABLES ? logical : 'other';
}

/**
 * DynamoDB capacity by table: asked for on every call that reports it (dynalite does for writes
 * and gets), and sized from the items returned for queries (dynalite reports none): eventually
 * consistent reads cost half a unit per started 4 KB of a page.
 */
function meterCapacity(c: AwsClients): Capacity {
  const total: Capacity = {};
  const bump = (table: string, kind: 'readUnits' | 'writeUnits', units: number): void => {
    const t = (total[table] ??= { readUnits: 0, writeUnits: 0 });
    t[kind] += units;
  };
  const WRITES = new Set(['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand', 'BatchWriteItemCommand']);
  c.dynamoBase.middlewareStack.add(
    (next, context) => async (args) => {
      const name = (context as { commandName?: string }).commandName ?? '';
      const input = args.input as Record<string, unknown>;
      input.ReturnConsumedCapacity = 'TOTAL';
      const out = await next(args);
      const output = out.output as {
        ConsumedCapacity?: { CapacityUnits?: number; TableName?: string } | { CapacityUnits?: number; TableName?: string }[];
        Items?: Record<string, AttributeValue>[];
      };
      const kind = WRITES.has(name) ? 'writeUnits' : 'readUnits';
      const reported = [output.ConsumedCapacity ?? []].flat().filter((u) => (u.CapacityUnits ?? 0) > 0);
      if (reported.length > 0) {
        for (const u of reported) bump(logicalTable(u.TableName ?? (input.TableName as string)), kind, u.CapacityUnits ?? 0);
      } else if (name === 'QueryCommand') {
        const bytes = (output.Items ?? []).reduce((n, it) => n + itemSize(it), 0);
        const consistent = input.ConsistentRead === true;
        bump(logicalTable(input.TableName as string), 'readUnits', Math.max(1, Math.ceil(bytes / 4096)) * (consistent ? 1 : 0.5));
      }
      return out;
    },
    { step: 'initialize', name: 'fraudminiCapacityMeter' },
  );
  return total;
}

function sumCapacity(cap: Capacity): { readUnits: number; writeUnits: number } {
  return Object.values(cap).reduce((s, u) => ({ readUnits: s.readUnits + u.readUnits, writeUnits: s.writeUnits + u.writeUnits }), {
    readUnits: 0,
    writeUnits: 0,
  });
}

/** Sets every table's units back to zero (a table with none prints no line). */
function resetCapacity(cap: Capacity): void {
  for (const units of Object.values(cap)) {
    units.readUnits = 0;
    units.writeUnits = 0;
  }
}

/** A function's use, with the CPU time this process spent while it ran (the emulators run elsewhere) and its AWS calls. */
interface TimedUse extends FunctionUse {
  cpuMs: number;
  awsCalls: number;
  /** AWS calls started while none other was in flight: the calls' round trips one after another. */
  roundTrips: number;
}

/**
 * Counts round trips: an AWS call that starts while no other is in flight starts one; calls that
 * overlap it (the entity queries of a batch, sent together) share it. Attached to every client's
 * middleware stack at the step the request counter uses, so a retry is a call of its own.
 */
class RoundTrips {
  count = 0;
  private inFlight = 0;
  private readonly stacks = new WeakSet<object>();

  attach(c: AwsClients): void {
    for (const client of [c.s3, c.sqs, c.sns, c.dynamo, c.kinesis, c.secrets]) {
      const stack = client.middlewareStack as unknown as { add: (m: unknown, o: unknown) => void };
      if (this.stacks.has(stack)) continue;
      this.stacks.add(stack);
      const middleware: FinalizeRequestMiddleware<object, object> = (next) => async (args) => {
        if (this.inFlight++ === 0) this.count++;
        try {
          return await next(args);
        } finally {
          this.inFlight--;
        }
      };
      stack.add(middleware, { step: 'finalizeRequest', name: 'fraudminiRoundTrips' });
    }
  }
}

/** AWS requests counted so far. */
function callsSoFar(counter: RequestCounter): number {
  return Object.values(counter.snapshot()).reduce((n, v) => n + v.requests, 0);
}

/** Wraps a handler to add up its invocations, wall time, CPU time, AWS calls and round trips. */
function timed<A extends unknown[], R>(
  name: keyof typeof FUNCTION_MEMORY_MB,
  counter: RequestCounter,
  fn: (...a: A) => Promise<R>,
): [(...a: A) => Promise<R>, TimedUse] {
  const use: TimedUse = { name, invocations: 0, durationMs: 0, memoryMb: FUNCTION_MEMORY_MB[name], cpuMs: 0, awsCalls: 0, roundTrips: 0 };
  return [
    async (...a: A) => {
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      const calls0 = callsSoFar(counter);
      const trips0 = roundTrips.count;
      try {
        return await fn(...a);
      } finally {
        const cpu = process.cpuUsage(cpu0);
        use.invocations++;
        use.durationMs += performance.now() - t0;
        use.cpuMs += (cpu.user + cpu.system) / 1000;
        use.awsCalls += callsSoFar(counter) - calls0;
        use.roundTrips += roundTrips.count - trips0;
      }
    },
    use,
  ];
}

const roundTrips = new RoundTrips();

/**
 * The duration Lambda would bill for a function, estimated: the CPU time measured here plus
 * {@link AWS_CALL_MS} of waiting per AWS call, `inFlight` calls overlapping (the batch adapters
 * keep up to 16 in flight), or, with `'round trips'`, per measured round trip (calls started
 * while another was in flight wait with it: the API's entity queries go together, its other
 * calls one after another).
 */
function estimatedUse(use: TimedUse, inFlight: number | 'round trips'): FunctionUse {
  const waits = inFlight === 'round trips' ? use.roundTrips : use.awsCalls / inFlight;
  return {
    name: use.name,
    invocations: use.invocations,
    memoryMb: use.memoryMb,
    durationMs: use.cpuMs + waits * AWS_CALL_MS,
    durationBasis:
      inFlight === 'round trips'
        ? `CPU + ${AWS_CALL_MS} ms per round trip`
        : inFlight > 1
          ? `CPU + ${AWS_CALL_MS} ms per AWS call, ${inFlight} in flight`
          : `CPU + ${AWS_CALL_MS} ms per AWS call`,
  };
}

/** Round trip assumed per AWS request from a function in the same region (DynamoDB, SQS, S3), in ms. */
const AWS_CALL_MS = 5;

/** The generated traffic as one CSV; with `hot`, every third row at one merchant and terminal. */
function trafficCsv(customers: number, days: number, hot: boolean): string {
  const parts: Buffer[] = [];
  for (const chunk of generateTraffic({ customers, days, seed: 42, start: Date.UTC(2026, 0, 5) })) parts.push(Buffer.from(chunk.csv));
  const csv = Buffer.concat(parts).toString('latin1');
  if (!hot) return csv;
  const lines = csv.split('\n');
  const header = (lines[0] ?? '').split(',');
  const merchant = header.indexOf('merchant');
  const terminal = header.indexOf('terminal_id');
  return lines
    .map((line, i) => {
      if (i === 0 || i % 3 !== 0 || line === '') return line;
      const cells = line.split(',');
      cells[merchant] = 'Hot Merchant #1';
      cells[terminal] = 'T-HOT';
      return cells.join(',');
    })
    .join('\n');
}

/** A fresh stack (buckets, queues, tables) with the handlers pointed at it. */
async function freshStack(c: AwsClients): Promise<Stack> {
  const stack = await createStack(c);
  applyEnv({ ...stack.env, POWERTOOLS_LOG_LEVEL: 'ERROR' });
  useClients(c);
  resetApi();
  return stack;
}

/** What a file run used, and the functions' measured wall time and CPU time. */
interface FileRun extends RunUsage {
  timings: TimedUse[];
}

/** Scores a file through ingest, score and notify on `stack` and returns what the run used. */
async function fileRun(c: AwsClients, stack: Stack, csv: string, counter: RequestCounter, capacity: Capacity): Promise<FileRun> {
  counter.reset();
  resetCapacity(capacity);
  await sendTo(c, stack.rawEvents.url, await dropFile(c, stack, 'traffic.csv', csv));
  const [ingest, ingestUse] = timed('ingest', counter, ingestHandler);
  const [score, scoreUse] = timed('score', counter, scoreHandler);
  const [notify, notifyUse] = timed('notify', counter, notifyHandler);
  await pumpQueue(c, stack.rawEvents, ingest, { batchSize: 1 });
  await pumpQueue(c, stack.transactions, score, { batchSize: 10 });
  await pumpQueue(c, stack.suspicious, notify, { batchSize: 10 });
  const requests = counter.snapshot();
  const stats = JSON.parse((await apiCall('GET', '/stats')).body) as { decisions: number; alerts: number };
  const s3Objects = Object.entries(requests)
    .filter(([k]) => k.startsWith('S3:') && !k.includes('Delete'))
    .reduce((n, [, v]) => n + v.requests, 0);
  return {
    transactions: stats.decisions,
    requests,
    dynamodb: sumCapacity(capacity),
    dynamodbByTable: structuredClone(capacity),
    // ingest and notify make few calls, one at a time; score keeps 16 in flight.
    functions: [estimatedUse(ingestUse, 1), estimatedUse(scoreUse, 16), estimatedUse(notifyUse, 1)],
    alerts: stats.alerts,
    // SSE-KMS with S3 Bucket Keys and SQS data-key reuse (5 min) make KMS calls rare; counted
    // as one per S3 object request, an upper bound.
    kmsRequests: s3Objects,
    timings: [ingestUse, scoreUse, notifyUse],
  };
}

/** Runs the emulators in this process and prints their endpoints (the child side of {@link emulatorProcess}). */
async function serveEmulators(): Promise<void> {
  const { endpoints } = await startEmulators();
  process.stdout.write(`${JSON.stringify(endpoints)}\n`);
}

/** Starts the emulators in a child process; resolves with their endpoints and a stop function. */
async function emulatorProcess(): Promise<{ endpoints: AwsEndpoints; stop: () => void }> {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--serve-emulators'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const first = await new Promise<string>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the emulators exited with code ${code}`)));
    createInterface({ input: child.stdout }).once('line', resolve);
  });
  child.removeAllListeners('exit');
  return { endpoints: JSON.parse(first) as AwsEndpoints, stop: () => child.kill() };
}

async function main(): Promise<void> {
  const emulators = await emulatorProcess();
  try {
    await measure(emulators.endpoints);
  } finally {
    emulators.stop();
  }
}

async function measure(endpoints: AwsEndpoints): Promise<void> {
  const c = emulatorClients(endpoints);
  const counter = new RequestCounter();
  attachRequestCounter(c, counter);
  roundTrips.attach(c);
  const capacity = meterCapacity(c);
  const customers = Number(values.customers);
  const days = Number(values.days);
  const utilization = Number(values.utilization);

  // --- the file path ---
  process.stderr.write(`file path: ${customers} customers × ${days} days …\n`);
  const file = await fileRun(c, await freshStack(c), trafficCsv(customers, days, false), counter, capacity);
  const fileRequests = file.requests;

  // --- the hot-merchant scenario: the same traffic shape, a third of it at one merchant ---
  const hotCustomers = Number(values['hot-customers']);
  process.stderr.write(`hot merchant: ${hotCustomers} customers × ${days} days, every third row at one merchant …\n`);
  const hotStack = await freshStack(c);
  const hotCsv = trafficCsv(hotCustomers, days, true);
  const hot = await fileRun(c, hotStack, hotCsv, counter, capacity);
  const normalSmall = await fileRun(c, await freshStack(c), trafficCsv(hotCustomers, days, false), counter, capacity);

  // --- the API path: synchronous POSTs, as the function URL delivers them (payload 2.0; API
  // Gateway's 1.0 events differ only in how the handler reads them) ---
  await freshStack(c);
  const posts = Number(values.api);
  process.stderr.write(`API path: ${posts} POST /transactions …\n`);
  // A container's first request builds the app: measured apart, not in the per-POST figures (a
  // container then serves many requests).
  const [coldApi, coldUse] = timed('api', counter, apiHandler);
  await postOrThrow(coldApi, -1);
  counter.reset();
  resetCapacity(capacity);
  const [api, apiUse] = timed('api', counter, apiHandler);
  for (let i = 0; i < posts; i++) await postOrThrow(api, i);
  const apiRequests = counter.snapshot();
  const apiEstimated = estimatedUse(apiUse, 'round trips');
  const apiRun: RunUsage = {
    transactions: posts,
    requests: apiRequests,
    dynamodb: sumCapacity(capacity),
    dynamodbByTable: structuredClone(capacity),
    functions: [apiEstimated],
    alerts: 0,
    kmsRequests: 0,
  };
  const timing = (use: TimedUse, per: number, unit: string): string =>
    `  ${use.name.padEnd(7)} per ${unit}: wall time ${(use.durationMs / per).toFixed(2)} ms, CPU ${(use.cpuMs / per).toFixed(2)} ms, ` +
    `${(use.awsCalls / per).toFixed(2)} AWS calls in ${(use.roundTrips / per).toFixed(3)} round trips`;
  const timings = [
    'Lambda duration: estimated from CPU time and AWS calls; the wall time here (emulators on the same cores) is an upper bound:',
    ...file.timings.map((u) => timing(u, file.transactions, 'transaction')),
    timing(apiUse, posts, 'POST'),
    `  api     first POST, which builds the app (not in the figures): wall time ${coldUse.durationMs.toFixed(0)} ms, CPU ${coldUse.cpuMs.toFixed(0)} ms`,
  ];
  const modes: CapacityMode[] = ['on-demand', 'provisioned'];
  const fronts: { option: ApiOption; waf: boolean; label: string }[] = [
    { option: 'rest', waf: true, label: 'REST+WAF' },
    { option: 'http', waf: false, label: 'HTTP API' },
    { option: 'url', waf: false, label: 'fn URL' },
  ];
  const fileCosts = modes.map((capacity) => ({ label: capacity, estimate: estimateCost(file, { capacity, utilization }) }));
  const apiCosts = modes.flatMap((capacity) =>
    fronts.map((f) => ({
      label: `${capacity === 'on-demand' ? 'od' : 'prov'} ${f.label}`,
      estimate: estimateCost(apiRun, { capacity, utilization, api: { option: f.option, waf: f.waf } }),
    })),
  );
  const monthly = Number(values.monthly);
  const fixed = monthlyCost({
    vpc: { interfaceEndpoints: Object.keys(INTERFACE_ENDPOINTS).length, zones: NETWORK_AZS },
    waf: { rules: 2 },
    provisionedFloor: { tables: PROVISIONED_CAPACITY.tables, minUnits: PROVISIONED_CAPACITY.minUnits },
  });
  const perTx = (run: RunUsage, table: string, kind: 'readUnits' | 'writeUnits'): string =>
    ((run.dynamodbByTable?.[table]?.[kind] ?? 0) / run.transactions).toFixed(3);
  const hotRows = [
    ['scenario', 'transactions', 'features reads/tx', 'features writes/tx', 'file path on-demand', 'provisioned'],
    ...[
      ['normal', normalSmall],
      ['hot merchant (1/3 of rows)', hot],
    ].map(([name, run]) => {
      const r = run as RunUsage;
      return [
        name as string,
        r.transactions.toLocaleString('en-US'),
        perTx(r, 'features', 'readUnits'),
        perTx(r, 'features', 'writeUnits'),
        `$${estimateCost(r, { capacity: 'on-demand', utilization }).totalUsd.toFixed(4)}`,
        `$${estimateCost(r, { capacity: 'provisioned', utilization }).totalUsd.toFixed(4)}`,
      ];
    }),
  ];
  const report = [
    formatMatrix(fileCosts, 'File path: S3 → ingest → SQS → score → DynamoDB → SQS → notify → SNS'),
    '',
    formatMatrix(
      apiCosts,
      'API path: front → api (scores synchronously) → DynamoDB (od = on-demand, prov = provisioned; fronts: -c api=rest, http, url)',
    ),
    '',
    ...timings,
    `Provisioned capacity: priced from the units consumed at ${Math.round(utilization * 100)}% average use of what auto scaling provisions.`,
    '',
    `Fixed monthly costs, and per million transactions at ${monthly.toLocaleString('en-US')} transactions a month:`,
    ...fixed.map(
      (l) =>
        `  ${l.service.padEnd(9)} ${l.item.padEnd(52)} $${l.usdPerMonth.toFixed(2).padStart(7)}/month  $${((l.usdPerMonth / monthly) * 1e6).toFixed(4)}/1M`,
    ),
    '',
    `Hot merchant (${hotCustomers} customers × ${days} days, DynamoDB units per transaction):`,
    ...alignRows(hotRows).map((l) => `  ${l}`),
    '',
    'Requests counted on the file path:',
    ...Object.entries(fileRequests).map(([k, v]) => `  ${k.padEnd(34)} ${String(v.requests).padStart(7)}`),
    '',
    'DynamoDB units per transaction by table (file path; API path):',
    ...Object.keys({ ...file.dynamodbByTable, ...apiRun.dynamodbByTable }).map(
      (t) =>
        `  ${t.padEnd(12)} writes ${perTx(file, t, 'writeUnits')}; ${perTx(apiRun, t, 'writeUnits')}   reads ${perTx(file, t, 'readUnits')}; ${perTx(apiRun, t, 'readUnits')}`,
    ),
  ].join('\n');
  process.stdout.write(`${report}\n`);
  if (values.json) {
    mkdirSync('var/cost', { recursive: true });
    const out: Record<string, unknown> = {
      file: Object.fromEntries(fileCosts.map((x) => [x.label, x.estimate])),
      api: Object.fromEntries(apiCosts.map((x) => [x.label, x.estimate])),
      fixedMonthly: fixed,
      runs: { file, hot, normalSmall, api: apiRun },
    };
    writeFileSync('var/cost/latest.json', `${JSON.stringify(out, null, 2)}\n`);
    process.stderr.write('wrote var/cost/latest.json\n');
  }
}

/** Pads a small table's columns (first column left, the others right). */
function alignRows(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  '));
}

/** The body of the `i`th POST: 50 accounts, 20 merchants, 40 terminals, a second apart. */
function postBody(i: number): Record<string, unknown> {
  return {
    transaction_id: `API-${i}`,
    timestamp: new Date(Date.UTC(2026, 0, 9) + i * 1000).toISOString(),
    account_id: `CUST${(i + 50) % 50}`,
    amount: (10 + ((i + 90) % 90)).toFixed(2),
    merchant: `M${(i + 20) % 20}`,
    terminal_id: `T${(i + 40) % 40}`,
  };
}

/** POSTs the `i`th transaction through the function URL; throws unless it is decided. */
async function postOrThrow(api: typeof apiHandler, i: number): Promise<void> {
  const res = await api(functionUrlEvent('POST', '/transactions', { body: postBody(i) }), lambdaContext());
  if (res.statusCode !== 201) throw new Error(`POST ${i} answered ${res.statusCode}: ${res.body}`);
}

/** An API Gateway event for the figures the script reads (`GET /stats`). */
function gatewayEvent(method: string, path: string): APIGatewayProxyEvent {
  return {
    httpMethod: method,
    path,
    resource: path,
    headers: {},
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body: null,
    isBase64Encoded: false,
    requestContext: {} as APIGatewayProxyEvent['requestContext'],
  } as APIGatewayProxyEvent;
}

function apiCall(method: string, path: string): ReturnType<typeof apiHandler> {
  return apiHandler(gatewayEvent(method, path), lambdaContext());
}

(values['serve-emulators'] ? serveEmulators() : main()).catch((e: unknown) => {
  process.stderr.write(`cost run failed: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
