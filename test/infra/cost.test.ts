import { describe, expect, it } from 'vitest';
import { estimateCost, formatCost, formatMatrix, monthlyCost, type RunUsage } from '../../infra/cost/estimate.js';
import { PRICES } from '../../infra/cost/prices.js';

const run: RunUsage = {
  transactions: 2000,
  requests: {
    'SQS:SendMessageBatch': { requests: 4, billedRequests: 10 },
    'SQS:ReceiveMessage': { requests: 6, billedRequests: 6 },
    'S3:PutObject': { requests: 2, billedRequests: 2 },
    'S3:UploadPart': { requests: 3, billedRequests: 3 },
    'S3:GetObject': { requests: 4, billedRequests: 4 },
    'S3:DeleteObject': { requests: 1, billedRequests: 1 },
    'SNS:PublishBatch': { requests: 2, billedRequests: 20 },
    'DynamoDB:PutItem': { requests: 2000, billedRequests: 2000 },
  },
  dynamodb: { readUnits: 3000, writeUnits: 10_000 },
  functions: [{ name: 'score', invocations: 4, durationMs: 8000, memoryMb: 1024 }],
  alerts: 20,
  kmsRequests: 10,
};

describe('estimateCost', () => {
  it('scales a run to a million transactions at the listed prices (hand-computed)', () => {
    const e = estimateCost(run, { withEmail: true });
    const usd = (item: string): number => e.lines.find((l) => l.item === item)?.usd ?? Number.NaN;
    // × 500 to a million transactions
    expect(usd('score duration (1024 MB)')).toBeCloseTo(8 * 500 * PRICES.lambda.gbSecond, 10);
    expect(usd('score requests')).toBeCloseTo(2000 * 0.2e-6, 10);
    expect(usd('requests (64 KiB chunks)')).toBeCloseTo(16 * 500 * 0.4e-6, 10);
    expect(usd('write request units')).toBeCloseTo(5_000_000 * 0.625e-6, 10);
    expect(usd('read request units')).toBeCloseTo(1_500_000 * 0.125e-6, 10);
    // PUT and UploadPart are writes; DeleteObject is free.
    expect(usd('PUT/COPY/LIST requests')).toBeCloseTo(2500 * 0.005e-3, 10);
    expect(usd('GET/HEAD requests')).toBeCloseTo(2000 * 0.0004e-3, 10);
    expect(usd('publish requests')).toBeCloseTo(10_000 * 0.5e-6, 10);
    expect(usd('email deliveries')).toBeCloseTo(10_000 * 2e-5, 10);
    expect(usd('requests (estimated)')).toBeCloseTo(5000 * 0.03e-4, 10);
    expect(e.totalUsd).toBeCloseTo(e.lines.reduce((s, l) => s + l.usd, 0), 12);
  });

  it('leaves out email unless asked, and refuses an empty run', () => {
    expect(estimateCost(run).lines.some((l) => l.item === 'email deliveries')).toBe(false);
    expect(() => estimateCost({ ...run, transactions: 0 })).toThrow(RangeError);
  });

  it('prints the dated prices and the total', () => {
    const text = formatCost(estimateCost(run), 'File path');
    expect(text).toContain(`list prices as of ${PRICES.asOf}`);
    expect(text).toMatch(/total\s+\$\d+\.\d{4}/);
  });
});

describe('estimateCost options', () => {
  it('prices provisioned capacity from the units consumed at the utilisation given (hand-computed)', () => {
    // Prepare: 10,000 write and 3,000 read units for 2,000 transactions → 5M and 1.5M per million
    const e = estimateCost(run, { capacity: 'provisioned', utilization: 0.5 });
    const line = (item: string) => e.lines.find((l) => l.item === item);
    // Assess: a unit-hour serves 3,600 units, half of them used
    expect(line('write capacity units')?.usd).toBeCloseTo((5_000_000 / 1_800) * PRICES.dynamodb.writeUnitHour, 10);
    expect(line('read capacity units')?.usd).toBeCloseTo((1_500_000 / 1_800) * PRICES.dynamodb.readUnitHour, 10);
    expect(line('write capacity units')?.basis).toBe('estimated');
    expect(e.lines.some((l) => l.item === 'write request units')).toBe(false);
    expect(() => estimateCost(run, { capacity: 'provisioned', utilization: 0 })).toThrow(RangeError);
  });

  it('keeps DynamoDB units apart by table when the run did', () => {
    const e = estimateCost({ ...run, dynamodbByTable: { features: { readUnits: 1000, writeUnits: 4000 }, decisions: { readUnits: 2000, writeUnits: 6000 } } });
    const usd = (item: string): number => e.lines.find((l) => l.item === item)?.usd ?? Number.NaN;
    expect(usd('write request units: features')).toBeCloseTo(2_000_000 * 0.625e-6, 10);
    expect(usd('read request units: decisions')).toBeCloseTo(1_000_000 * 0.125e-6, 10);
  });

  it('adds one request per transaction at the front chosen, and WAF where it is', () => {
    const usd = (option: 'rest' | 'http' | 'url', waf: boolean, service: string): number =>
      estimateCost(run, { api: { option, waf } }).lines.filter((l) => l.service === service).reduce((s, l) => s + l.usd, 0);
    expect(usd('rest', true, 'API Gateway')).toBeCloseTo(3.5, 10);
    expect(usd('rest', true, 'WAF')).toBeCloseTo(0.6, 10);
    expect(usd('http', false, 'API Gateway')).toBeCloseTo(1.0, 10);
    expect(usd('http', false, 'WAF')).toBe(0);
    expect(usd('url', false, 'API Gateway')).toBe(0);
  });
});

describe('monthlyCost', () => {
  it('prices interface endpoints per zone-hour, the web ACL and its rules, and the provisioned floor', () => {
    const lines = monthlyCost({ vpc: { interfaceEndpoints: 7, zones: 2 }, waf: { rules: 2 }, provisionedFloor: { tables: 6, minUnits: 2 } });
    const usd = (service: string): number => lines.find((l) => l.service === service)?.usdPerMonth ?? Number.NaN;
    expect(usd('VPC')).toBeCloseTo(7 * 2 * 730 * 0.01, 8);
    expect(usd('WAF')).toBeCloseTo(5 + 2, 8);
    expect(usd('DynamoDB')).toBeCloseTo(6 * 2 * 730 * (0.00065 + 0.00013), 8);
    expect(monthlyCost({})).toEqual([]);
  });
});

describe('formatMatrix', () => {
  it('puts every line of every estimate in one row, a dash where a column has none, and the totals', () => {
    const od = estimateCost(run, { api: { option: 'rest', waf: true } });
    const url = estimateCost(run, { capacity: 'provisioned', api: { option: 'url', waf: false } });
    const text = formatMatrix([{ label: 'od REST', estimate: od }, { label: 'prov URL', estimate: url }], 'API path');
    const row = (item: string): string => text.split('\n').find((l) => l.includes(item)) ?? '';
    expect(row('REST requests')).toMatch(/\$3\.5000\s+-$/);
    expect(row('write capacity units')).toMatch(/estimated\s+-\s+\$\d+\.\d{4}$/);
    expect(row('total')).toContain(`$${od.totalUsd.toFixed(4)}`);
    expect(row('total')).toContain(`$${url.totalUsd.toFixed(4)}`);
  });
});
