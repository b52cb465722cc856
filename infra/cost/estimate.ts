import { PRICES } from './prices.js';

/** Requests of one `Service:Operation`, as counted in a run (`RequestCounter` snapshot). */
export interface CountedRequests {
  requests: number;
  /** Requests as billed (SQS/SNS payloads: one per started 64 KiB). */
  billedRequests: number;
}

/** Time one function spent in a run. */
export interface FunctionUse {
  name: string;
  invocations: number;
  /** Sum of invocation durations, in ms. */
  durationMs: number;
  memoryMb: number;
}

/** What a measured run did, for {@link estimateCost}. */
export interface RunUsage {
  /** Transactions the run decided (the unit costs are given per million of). */
  transactions: number;
  requests: Record<string, CountedRequests>;
  /** DynamoDB capacity units consumed (ReturnConsumedCapacity, or estimated from item sizes). */
  dynamodb: { readUnits: number; writeUnits: number };
  functions: FunctionUse[];
  /** Alerts published to SNS (each an email when an email subscriber exists). */
  alerts: number;
  /** KMS requests the run would make on AWS (no emulator exists; see the estimate's notes). */
  kmsRequests: number;
}

/** One line of the breakdown. */
export interface CostLine {
  service: string;
  item: string;
  /** Quantity per million transactions, in the item's unit. */
  perMillion: number;
  unit: string;
  /** US dollars per million transactions. */
  usd: number;
}

/** The cost of a million transactions, line by line. */
export interface CostEstimate {
  lines: CostLine[];
  totalUsd: number;
  /** Transactions the figures were measured on. */
  measuredTransactions: number;
}

const S3_WRITES = new Set(['PutObject', 'CopyObject', 'CreateMultipartUpload', 'UploadPart', 'CompleteMultipartUpload', 'ListObjectsV2', 'ListObjects']);
const FREE_S3 = new Set(['DeleteObject', 'DeleteObjects', 'AbortMultipartUpload']);

/**
 * Turns the requests, capacity and function time of a measured run into US dollars per million
 * transactions at {@link PRICES}: costs scale linearly with transactions at the batch sizes the
 * run used. Email delivery is priced separately (`withEmail`), since not every deployment has an
 * email subscriber.
 */
export function estimateCost(run: RunUsage, options: { withEmail?: boolean } = {}): CostEstimate {
  if (!(run.transactions > 0)) throw new RangeError('a run must decide at least one transaction');
  const scale = 1_000_000 / run.transactions;
  const lines: CostLine[] = [];
  const add = (service: string, item: string, quantity: number, unit: string, unitPrice: number): void => {
    if (quantity === 0) return;
    lines.push({ service, item, perMillion: quantity * scale, unit, usd: quantity * scale * unitPrice });
  };

  for (const f of run.functions) {
    add('Lambda', `${f.name} duration (${f.memoryMb} MB)`, (f.durationMs / 1000) * (f.memoryMb / 1024), 'GB-s', PRICES.lambda.gbSecond);
    add('Lambda', `${f.name} requests`, f.invocations, 'requests', PRICES.lambda.perMillionRequests / 1e6);
  }
  const by = (service: string): [string, CountedRequests][] =>
    Object.entries(run.requests)
      .filter(([k]) => k.startsWith(`${service}:`))
      .map(([k, v]) => [k.slice(service.length + 1), v]);

  const sqs = by('SQS').reduce((n, [, v]) => n + v.billedRequests, 0);
  add('SQS', 'requests (64 KiB chunks)', sqs, 'requests', PRICES.sqs.perMillionRequests / 1e6);

  add('DynamoDB', 'write request units', run.dynamodb.writeUnits, 'WRU', PRICES.dynamodb.perMillionWriteUnits / 1e6);
  add('DynamoDB', 'read request units', run.dynamodb.readUnits, 'RRU', PRICES.dynamodb.perMillionReadUnits / 1e6);

  let s3Writes = 0;
  let s3Reads = 0;
  for (const [op, v] of by('S3')) {
    if (FREE_S3.has(op)) continue;
    if (S3_WRITES.has(op)) s3Writes += v.requests;
    else s3Reads += v.requests;
  }
  add('S3', 'PUT/COPY/LIST requests', s3Writes, 'requests', PRICES.s3.perThousandWrites / 1000);
  add('S3', 'GET/HEAD requests', s3Reads, 'requests', PRICES.s3.perThousandReads / 1000);

  const sns = by('SNS').reduce((n, [, v]) => n + v.billedRequests, 0);
  add('SNS', 'publish requests', sns, 'requests', PRICES.sns.perMillionPublishes / 1e6);
  if (options.withEmail) add('SNS', 'email deliveries', run.alerts, 'emails', PRICES.sns.perHundredThousandEmails / 1e5);

  add('KMS', 'requests (estimated)', run.kmsRequests, 'requests', PRICES.kms.perTenThousandRequests / 1e4);
  const secrets = by('SecretsManager').reduce((n, [, v]) => n + v.requests, 0);
  add('Secrets Manager', 'GetSecretValue', secrets, 'calls', PRICES.secretsManager.perTenThousandCalls / 1e4);

  const totalUsd = lines.reduce((s, l) => s + l.usd, 0);
  return { lines, totalUsd, measuredTransactions: run.transactions };
}

/** The estimate as an aligned text table, most expensive line first. */
export function formatCost(estimate: CostEstimate, title: string): string {
  const rows = [...estimate.lines].sort((a, b) => b.usd - a.usd);
  const fmtQty = (n: number): string => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2));
  const table = [
    ['service', 'item', 'per 1M transactions', 'USD'],
    ...rows.map((l) => [l.service, l.item, `${fmtQty(l.perMillion)} ${l.unit}`, `$${l.usd.toFixed(4)}`]),
    ['', 'total', '', `$${estimate.totalUsd.toFixed(4)}`],
  ];
  const widths = table[0]?.map((_, i) => Math.max(...table.map((r) => (r[i] ?? '').length))) ?? [];
  const line = (r: string[]): string =>
    r.map((cell, i) => (i >= 2 ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0))).join('  ');
  return [
    title,
    `prices: ${PRICES.region}, list prices as of ${PRICES.asOf}; measured on ${estimate.measuredTransactions.toLocaleString('en-US')} transactions`,
    '',
    line(table[0] ?? []),
    ...table.slice(1).map(line),
  ].join('\n');
}
