/**
 * `npm run cost`: runs the real Lambda handlers end to end on the emulators (as the end-to-end
 * test does) over generated traffic, counts every AWS request by type and the DynamoDB capacity
 * consumed, and prints what a million transactions cost at public list prices, for the file
 * path (S3 → ingest → SQS → score → DynamoDB → SQS → notify → SNS) and the API path.
 *
 *   npm run cost [-- --customers 1000 --days 2 --api 300 --json]
 *
 * Lambda duration is the handlers' wall time here, with the emulators in the same process and
 * on the same 2 cores: an upper bound of what Lambda would bill.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { attachRequestCounter, RequestCounter } from '../src/adapters/aws/requestCounter.js';
import type { AwsClients } from '../src/adapters/aws/clients.js';
import { generateTraffic } from '../src/synth/generateTraffic.js';
import { handler as apiHandler } from '../src/handlers/api.js';
import { handler as ingestHandler } from '../src/handlers/ingest.js';
import { handler as notifyHandler } from '../src/handlers/notify.js';
import { useClients } from '../src/handlers/runtime.js';
import { handler as scoreHandler } from '../src/handlers/score.js';
import { emulatorClients } from '../test/aws/clients.js';
import { startEmulators } from '../test/aws/emulators.js';
import { applyEnv, createStack, dropFile, lambdaContext, pumpQueue, sendTo } from '../test/aws/harness.js';
import { estimateCost, formatCost, type FunctionUse, type RunUsage } from '../infra/cost/estimate.js';
import { FUNCTION_MEMORY_MB } from '../infra/functionSizes.js';

const { values } = parseArgs({
  options: {
    customers: { type: 'string', default: '1000' },
    days: { type: 'string', default: '2' },
    api: { type: 'string', default: '300' },
    json: { type: 'boolean', default: false },
  },
});

/** DynamoDB capacity: asked for on every call that reports it, estimated from item sizes for queries. */
function meterCapacity(c: AwsClients): { readUnits: number; writeUnits: number } {
  const total = { readUnits: 0, writeUnits: 0 };
  const WRITES = new Set(['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand', 'BatchWriteItemCommand']);
  c.dynamoBase.middlewareStack.add(
    (next, context) => async (args) => {
      const name = (context as { commandName?: string }).commandName ?? '';
      const input = args.input as Record<string, unknown>;
      input.ReturnConsumedCapacity = 'TOTAL';
      const out = await next(args);
      const output = out.output as {
        ConsumedCapacity?: { CapacityUnits?: number } | { CapacityUnits?: number }[];
        Items?: unknown[];
      };
      const reported = [output.ConsumedCapacity ?? []].flat().reduce((s, u) => s + (u.CapacityUnits ?? 0), 0);
      let units = reported;
      if (units === 0 && name === 'QueryCommand') {
        // dynalite reports no capacity for queries: eventually consistent reads of 4 KB units
        // cost half a unit each, rounded up per query page.
        const bytes = JSON.stringify(output.Items ?? []).length;
        units = Math.max(1, Math.ceil(bytes / 4096)) * 0.5;
      }
      if (WRITES.has(name)) total.writeUnits += units;
      else total.readUnits += units;
      return out;
    },
    { step: 'initialize', name: 'fraudminiCapacityMeter' },
  );
  return total;
}

/** Wraps a handler to add up its invocations and wall time. */
function timed<A extends unknown[], R>(name: keyof typeof FUNCTION_MEMORY_MB, fn: (...a: A) => Promise<R>): [(...a: A) => Promise<R>, FunctionUse] {
  const use: FunctionUse = { name, invocations: 0, durationMs: 0, memoryMb: FUNCTION_MEMORY_MB[name] };
  return [
    async (...a: A) => {
      const t0 = performance.now();
      try {
        return await fn(...a);
      } finally {
        use.invocations++;
        use.durationMs += performance.now() - t0;
      }
    },
    use,
  ];
}

async function main(): Promise<void> {
  const emulators = await startEmulators();
  const c = emulatorClients(emulators.endpoints);
  const stack = await createStack(c);
  applyEnv({ ...stack.env, POWERTOOLS_LOG_LEVEL: 'ERROR' });
  useClients(c);
  const counter = new RequestCounter();
  attachRequestCounter(c, counter);
  const capacity = meterCapacity(c);

  // --- the file path ---
  const customers = Number(values.customers);
  const days = Number(values.days);
  const parts: Buffer[] = [];
  for (const chunk of generateTraffic({ customers, days, seed: 42, start: Date.UTC(2026, 0, 5) })) parts.push(Buffer.from(chunk.csv));
  const csv = Buffer.concat(parts).toString('latin1');
  process.stderr.write(`file path: ${customers} customers × ${days} days …\n`);
  await sendTo(c, stack.rawEvents.url, await dropFile(c, stack, 'traffic.csv', csv));
  const [ingest, ingestUse] = timed('ingest', ingestHandler);
  const [score, scoreUse] = timed('score', scoreHandler);
  const [notify, notifyUse] = timed('notify', notifyHandler);
  await pumpQueue(c, stack.rawEvents, ingest, { batchSize: 1 });
  await pumpQueue(c, stack.transactions, score, { batchSize: 10 });
  await pumpQueue(c, stack.suspicious, notify, { batchSize: 10 });
  const stats = JSON.parse((await apiCall('GET', '/stats')).body) as { decisions: number; alerts: number };
  const fileRequests = counter.snapshot();
  const s3Objects = Object.entries(fileRequests)
    .filter(([k]) => k.startsWith('S3:') && !k.includes('Delete'))
    .reduce((n, [, v]) => n + v.requests, 0);
  const fileRun: RunUsage = {
    transactions: stats.decisions,
    requests: fileRequests,
    dynamodb: { ...capacity },
    functions: [ingestUse, scoreUse, notifyUse],
    alerts: stats.alerts,
    // SSE-KMS with S3 Bucket Keys and SQS data-key reuse (5 min) make KMS calls rare; counted
    // as one per S3 object request, an upper bound.
    kmsRequests: s3Objects,
  };

  // --- the API path: synchronous POSTs ---
  counter.reset();
  capacity.readUnits = 0;
  capacity.writeUnits = 0;
  const posts = Number(values.api);
  process.stderr.write(`API path: ${posts} POST /transactions …\n`);
  const [api, apiUse] = timed('api', apiHandler);
  for (let i = 0; i < posts; i++) {
    const res = await api(postEvent(i), lambdaContext());
    if (res.statusCode !== 201) throw new Error(`POST ${i} answered ${res.statusCode}: ${res.body}`);
  }
  const apiRequests = counter.snapshot();
  const apiRun: RunUsage = {
    transactions: posts,
    requests: apiRequests,
    dynamodb: { ...capacity },
    functions: [apiUse],
    alerts: 0,
    kmsRequests: 0,
  };

  const fileCost = estimateCost(fileRun);
  const apiCost = estimateCost(apiRun);
  // API Gateway is billed per request on top of what the function does.
  apiCost.lines.push({ service: 'API Gateway', item: 'REST requests', perMillion: 1e6, unit: 'requests', usd: 3.5 });
  apiCost.totalUsd += 3.5;
  const report = [
    formatCost(fileCost, 'File path: S3 → ingest → SQS → score → DynamoDB → SQS → notify → SNS'),
    '',
    formatCost(apiCost, 'API path: API Gateway → api (scores synchronously) → DynamoDB'),
    '',
    'Requests counted on the file path:',
    ...Object.entries(fileRequests).map(([k, v]) => `  ${k.padEnd(34)} ${String(v.requests).padStart(7)}`),
  ].join('\n');
  process.stdout.write(`${report}\n`);
  if (values.json) {
    mkdirSync('var/cost', { recursive: true });
    writeFileSync('var/cost/latest.json', `${JSON.stringify({ file: fileCost, api: apiCost, fileRun, apiRun }, null, 2)}\n`);
    process.stderr.write('wrote var/cost/latest.json\n');
  }
  await emulators.stop();
}

function postEvent(i: number): APIGatewayProxyEvent {
  return {
    httpMethod: 'POST',
    path: '/transactions',
    resource: '/transactions',
    headers: { 'content-type': 'application/json' },
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body: JSON.stringify({
      transaction_id: `API-${i}`,
      timestamp: new Date(Date.UTC(2026, 0, 9) + i * 1000).toISOString(),
      account_id: `CUST${i % 50}`,
      amount: (10 + (i % 90)).toFixed(2),
      merchant: `M${i % 20}`,
      terminal_id: `T${i % 40}`,
    }),
    isBase64Encoded: false,
    requestContext: {} as APIGatewayProxyEvent['requestContext'],
  } as APIGatewayProxyEvent;
}

function apiCall(method: string, path: string): ReturnType<typeof apiHandler> {
  return apiHandler({ ...postEvent(0), httpMethod: method, path, body: null }, lambdaContext());
}

main().catch((e: unknown) => {
  process.stderr.write(`cost run failed: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
