import { describe, expect, it } from 'vitest';
import { estimateCost, formatCost, type RunUsage } from '../../infra/cost/estimate.js';
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
