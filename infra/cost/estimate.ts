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
  /** How `durationMs` was obtained, shown after the memory size (e.g. `CPU + 5 ms per AWS call`). @default measured wall time */
  durationBasis?: string;
}

/** What a measured run did, for {@link estimateCost}. */
export interface RunUsage {
  /** Transactions the run decided (the unit costs are given per million of). */
  transactions: number;
  requests: Record<string, CountedRequests>;
  /** DynamoDB capacity units consumed (ReturnConsumedCapacity, or estimated from item sizes). */
  dynamodb: { readUnits: number; writeUnits: number };
  /** The same units by table (logical name, `TABLES`), when the run kept them apart. */
  dynamodbByTable?: Record<string, { readUnits: number; writeUnits: number }>;
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
  /** Counted or metered in the run, or estimated (a model or an assumption; the item says which). */
  basis: 'measured' | 'estimated';
}

/** How DynamoDB capacity is bought. */
export type CapacityMode = 'on-demand' | 'provisioned';

/** The HTTP front of the `api` function. */
export type ApiOption = 'rest' | 'http' | 'url';

/** Options of {@link estimateCost}. */
export interface EstimateOptions {
  /** Price email deliveries of the alerts. @default false */
  withEmail?: boolean;
  /** @default 'on-demand' */
  capacity?: CapacityMode;
  /**
   * Provisioned capacity: the share of the provisioned units the consumed ones use on average
   * (auto scaling's target, less the headroom it keeps while scaling). @default 0.7
   */
  utilization?: number;
  /** The API front the run's requests went through (the API path). */
  api?: { option: ApiOption; waf: boolean };
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
export function estimateCost(run: RunUsage, options: EstimateOptions = {}): CostEstimate {
  if (!(run.transactions > 0)) throw new RangeError('a run must decide at least one transaction');
  const scale = 1_000_000 / run.transactions;
  const lines: CostLine[] = [];
  let basis: CostLine['basis'] = 'measured';
  const add = (service: string, item: string, quantity: number, unit: string, unitPrice: number): void => {
    if (quantity === 0) return;
    lines.push({ service, item, perMillion: quantity * scale, unit, usd: quantity * scale * unitPrice, basis });
  };

  for (const f of run.functions) {
    if (f.durationBasis) basis = 'estimated';
    const how = f.durationBasis ? `, ${f.durationBasis}` : '';
    add('Lambda', `${f.name} duration (${f.memoryMb} MB${how})`, (f.durationMs / 1000) * (f.memoryMb / 1024), 'GB-s', PRICES.lambda.gbSecond);
    basis = 'measured';
    add('Lambda', `${f.name} requests`, f.invocations, 'requests', PRICES.lambda.perMillionRequests / 1e6);
  }
  const by = (service: string): [string, CountedRequests][] =>
    Object.entries(run.requests)
      .filter(([k]) => k.startsWith(`${service}:`))
      .map(([k, v]) => [k.slice(service.length + 1), v]);

  const sqs = by('SQS').reduce((n, [, v]) => n + v.billedRequests, 0);
  add('SQS', 'requests (64 KiB chunks)', sqs, 'requests', PRICES.sqs.perMillionRequests / 1e6);

  const capacity = options.capacity ?? 'on-demand';
  const utilization = options.utilization ?? 0.7;
  if (!(utilization > 0 && utilization <= 1)) throw new RangeError(`utilization must be in (0, 1], got ${utilization}`);
  // Provisioned: a unit-hour serves 3,600 units when fully used; auto scaling keeps `utilization`.
  const writePrice =
    capacity === 'on-demand' ? PRICES.dynamodb.perMillionWriteUnits / 1e6 : PRICES.dynamodb.writeUnitHour / (3600 * utilization);
  const readPrice =
    capacity === 'on-demand' ? PRICES.dynamodb.perMillionReadUnits / 1e6 : PRICES.dynamodb.readUnitHour / (3600 * utilization);
  const [wUnit, rUnit] = capacity === 'on-demand' ? ['WRU', 'RRU'] : ['WCU', 'RCU'];
  if (capacity === 'provisioned') basis = 'estimated';
  const [wName, rName] = capacity === 'on-demand' ? ['write request units', 'read request units'] : ['write capacity units', 'read capacity units'];
  if (run.dynamodbByTable) {
    for (const [table, units] of Object.entries(run.dynamodbByTable)) add('DynamoDB', `${wName}: ${table}`, units.writeUnits, wUnit, writePrice);
    for (const [table, units] of Object.entries(run.dynamodbByTable)) add('DynamoDB', `${rName}: ${table}`, units.readUnits, rUnit, readPrice);
  } else {
    add('DynamoDB', wName, run.dynamodb.writeUnits, wUnit, writePrice);
    add('DynamoDB', rName, run.dynamodb.readUnits, rUnit, readPrice);
  }
  basis = 'measured';

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

  basis = 'estimated';
  add('KMS', 'requests (estimated)', run.kmsRequests, 'requests', PRICES.kms.perTenThousandRequests / 1e4);
  basis = 'measured';
  const secrets = by('SecretsManager').reduce((n, [, v]) => n + v.requests, 0);
  add('Secrets Manager', 'GetSecretValue', secrets, 'calls', PRICES.secretsManager.perTenThousandCalls / 1e4);

  if (options.api) {
    // One request per transaction: each POST scores one.
    const requests = run.transactions;
    const { option, waf } = options.api;
    if (option === 'rest') add('API Gateway', 'REST requests', requests, 'requests', PRICES.apiGateway.perMillionRestRequests / 1e6);
    if (option === 'http') add('API Gateway', 'HTTP API requests', requests, 'requests', PRICES.apiGateway.perMillionHttpRequests / 1e6);
    if (waf) add('WAF', 'requests inspected', requests, 'requests', PRICES.waf.perMillionRequests / 1e6);
  }

  const totalUsd = lines.reduce((s, l) => s + l.usd, 0);
  return { lines, totalUsd, measuredTransactions: run.transactions };
}

/** A cost that does not grow with transactions, in US dollars a month. */
export interface MonthlyLine {
  service: string;
  item: string;
  usdPerMonth: number;
}

/**
 * Costs by the hour or month, whatever the traffic: the VPC's interface endpoints (`vpc`: how
 * many, in how many zones), the WAF web ACL and its rules, and provisioned capacity's floor (the
 * auto scaling minimum of every table, read and write).
 */
export function monthlyCost(options: {
  vpc?: { interfaceEndpoints: number; zones: number };
  waf?: { rules: number };
  provisionedFloor?: { tables: number; minUnits: number };
}): MonthlyLine[] {
  const out: MonthlyLine[] = [];
  const hours = PRICES.hoursPerMonth;
  if (options.vpc) {
    const { interfaceEndpoints: n, zones } = options.vpc;
    out.push({ service: 'VPC', item: `${n} interface endpoints × ${zones} zones`, usdPerMonth: n * zones * hours * PRICES.vpc.interfaceEndpointAzHour });
  }
  if (options.waf) {
    out.push({ service: 'WAF', item: `web ACL and ${options.waf.rules} rules`, usdPerMonth: PRICES.waf.webAclMonth + options.waf.rules * PRICES.waf.ruleMonth });
  }
  if (options.provisionedFloor) {
    const { tables, minUnits } = options.provisionedFloor;
    const unitHours = tables * minUnits * hours;
    out.push({
      service: 'DynamoDB',
      item: `provisioned floor: ${tables} tables × ${minUnits} WCU + ${minUnits} RCU`,
      usdPerMonth: unitHours * (PRICES.dynamodb.writeUnitHour + PRICES.dynamodb.readUnitHour),
    });
  }
  return out;
}

/**
 * Several estimates side by side, one column each: every line that appears in any of them, most
 * expensive first (by the largest column), then the totals.
 */
export function formatMatrix(columns: readonly { label: string; estimate: CostEstimate }[], title: string): string {
  const key = (l: CostLine): string => `${l.service}\u0000${l.item}`;
  const rows = new Map<string, { service: string; item: string; basis: string; usd: (number | undefined)[] }>();
  columns.forEach((c, i) => {
    for (const l of c.estimate.lines) {
      const r = rows.get(key(l)) ?? { service: l.service, item: l.item, basis: l.basis, usd: columns.map(() => undefined) };
      r.usd[i] = l.usd;
      if (l.basis !== r.basis && !r.basis.includes('/')) r.basis = 'measured/estimated';
      rows.set(key(l), r);
    }
  });
  const sorted = [...rows.values()].sort((a, b) => Math.max(...b.usd.map((u) => u ?? 0)) - Math.max(...a.usd.map((u) => u ?? 0)));
  const table = [
    ['service', 'item', 'basis', ...columns.map((c) => c.label)],
    ...sorted.map((r) => [r.service, r.item, r.basis, ...r.usd.map((u) => (u === undefined ? '-' : `$${u.toFixed(4)}`))]),
    ['', 'total', '', ...columns.map((c) => `$${c.estimate.totalUsd.toFixed(4)}`)],
  ];
  const widths = table[0]?.map((_, i) => Math.max(...table.map((r) => (r[i] ?? '').length))) ?? [];
  const line = (r: string[]): string =>
    r.map((cell, i) => (i >= 3 ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  const measured = columns[0]?.estimate.measuredTransactions ?? 0;
  return [
    title,
    `USD per million transactions; prices: ${PRICES.region}, list prices as of ${PRICES.asOf}; measured on ${measured.toLocaleString('en-US')} transactions`,
    '',
    line(table[0] ?? []),
    ...table.slice(1).map(line),
  ].join('\n');
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
