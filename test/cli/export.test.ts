import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LAKE_COLUMNS } from '../../src/adapters/aws/lakeSchema.js';
import { SqliteStateStore } from '../../src/adapters/local/SqliteStateStore.js';
import { exportCommand } from '../../src/cli/export.js';
import type { DecidedItem } from '../../src/core/records.js';
import type { Outcome } from '../../src/core/scoring.js';
import { validateObject } from '../../src/core/schema.js';
import { TEST_PANS, tempDir } from '../helpers/fixtures.js';
import { readParquet } from '../helpers/parquet.js';
import { makeDecision, testTokenizer } from '../helpers/transactions.js';

const DAY = 86_400_000;
const START = Date.UTC(2026, 0, 5, 22, 0, 0);
const OUTCOMES: Outcome[] = ['allow', 'allow', 'review', 'block'];

/** `n` decided transactions over about three UTC days, each with a real card number on input. */
function decidedItems(n: number): DecidedItem[] {
  const tokenizer = testTokenizer();
  return Array.from({ length: n }, (_, i) => {
    const pan = TEST_PANS[i % TEST_PANS.length] as string;
    const body: Record<string, unknown> = {
      transaction_id: `tx-${String(i).padStart(4, '0')}`,
      timestamp: new Date(START + Math.floor((i * 2.6 * DAY) / n)).toISOString(),
      account_id: `acc-${i % 7}`,
      card_number: i % 5 === 0 ? undefined : pan,
      amount: `${(i * 37.25 + 0.01).toFixed(2)}`,
      currency: 'EUR',
      merchant: i % 3 === 0 ? 'Shop, "the best"' : `m-${i % 4}`,
      country: 'FR',
      account_balance: i % 2 === 0 ? '1000.5' : undefined,
      note: `customer said ${pan}`,
      label: i % 11 === 0 ? 1 : undefined,
    };
    const v = validateObject(body, { tokenizer, sourceKey: 'api', row: 0 });
    if (!v.ok) throw new Error(`bad test transaction: ${JSON.stringify(v.errors)}`);
    const outcome = OUTCOMES[i % 4] as Outcome;
    const decision = makeDecision({
      transaction_id: v.transaction.transactionId,
      outcome,
      score: outcome === 'allow' ? 3.5 : 72.25,
      rules_score: outcome === 'allow' ? 0 : 50,
      reasons: outcome === 'allow' ? [] : [
        { rule: 'high_value', weight: 50, detail: 'amount > 10,000' },
        { rule: 'velocity', weight: 30, detail: '4 in a minute' },
      ],
      model_score: i % 2 === 0 ? null : 61.5,
      model_version: i % 2 === 0 ? null : 'gbdt-1',
      decided_at: new Date(START + i * 1000).toISOString(),
    });
    return { transaction: v.transaction, decision };
  });
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

describe('fraudmini export', () => {
  let tmp: ReturnType<typeof tempDir>;
  let store: SqliteStateStore;
  let items: DecidedItem[];
  const out = (): string => join(tmp.dir, 'lake');

  beforeEach(async () => {
    tmp = tempDir('fraudmini-export-');
    store = new SqliteStateStore({ path: join(tmp.dir, 'fraudmini.db') });
    items = decidedItems(120);
    await store.storeDecisions(items);
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  });
  afterEach(() => {
    vi.restoreAllMocks();
    store.close();
    tmp.cleanup();
  });

  it('writes every stored decision as Parquet partitioned by day, read back equal to the store', async () => {
    // Act
    const code = await exportCommand(['--data-dir', tmp.dir, '--out', out(), '--rows-per-file', '25'], {});

    // Assess
    expect(code).toBe(0);
    const files = filesUnder(out());
    const byDay = new Map<string, number>();
    for (const it of items) {
      const d = new Date(it.transaction.timestamp).toISOString().slice(0, 10);
      byDay.set(d, (byDay.get(d) ?? 0) + 1);
    }
    const expectedFiles = [...byDay].flatMap(([d, n]) =>
      Array.from({ length: Math.ceil(n / 25) }, (_, p) => `date=${d}/part-${String(p).padStart(5, '0')}.parquet`),
    );
    expect(files).toEqual(expectedFiles.sort());
    let seen = 0;
    for (const f of files) {
      const bytes = readFileSync(join(out(), f));
      const read = await readParquet(bytes);
      expect(read.names).toEqual(LAKE_COLUMNS.map((c) => c.name));
      expect(read.columns.get('amount')).toMatchObject({ type: 'INT64', converted: 'DECIMAL', scale: 4 });
      expect(read.columns.get('event_time')).toMatchObject({ type: 'INT64', converted: 'TIMESTAMP_MILLIS' });
      expect(read.columns.get('score')).toMatchObject({ type: 'DOUBLE' });
      expect(read.columns.get('transaction_id')).toMatchObject({ converted: 'UTF8', repetition: 'REQUIRED' });
      expect(read.columns.get('model_score')).toMatchObject({ repetition: 'OPTIONAL' });
      const day = /date=(\d{4}-\d{2}-\d{2})/.exec(f)?.[1];
      for (const row of read.rows) {
        seen++;
        const stored = await store.getTransaction(row.transaction_id as string);
        if (!stored) throw new Error(`not in the store: ${String(row.transaction_id)}`);
        const { transaction: t, decision: d } = stored;
        expect((row.event_time as Date).toISOString()).toBe(t.timestamp);
        expect(t.timestamp.slice(0, 10)).toBe(day);
        expect(row).toMatchObject({
          account_id: t.account_id,
          card_token: t.card?.token ?? null,
          card_masked: t.card?.masked ?? null,
          card_bin: t.card?.bin ?? null,
          card_last4: t.card?.last4 ?? null,
          currency: t.currency,
          merchant: t.merchant ?? null,
          country: t.country ?? null,
          label: t.label ?? null,
          outcome: d.outcome,
          score: d.score,
          rules_score: d.rules_score,
          model_score: d.model_score,
          model_version: d.model_version,
          rules_version: d.rules_version,
          rule_ids: d.reasons.map((r) => r.rule).join(','),
        });
        // The reader scales DECIMAL to a float; the file holds the exact 4-decimal integer.
        expect(Math.round((row.amount as number) * 10_000)).toBe(Math.round(t.amount * 10_000));
        const balance = row.account_balance as number | null;
        expect(balance === null ? null : Math.round(balance * 10_000)).toBe(
          t.account_balance === undefined ? null : Math.round(t.account_balance * 10_000),
        );
        expect(JSON.parse(row.reasons as string)).toEqual(d.reasons.map((r) => ({ rule: r.rule, weight: r.weight, detail: r.detail })));
        expect((row.decided_at as Date).toISOString()).toBe(d.decided_at);
        expect(JSON.parse(row.attributes as string)).toEqual(t.attributes);
        for (const v of Object.values(row)) {
          for (const pan of TEST_PANS) expect(String(v)).not.toContain(pan);
        }
      }
    }
    expect(seen).toBe(items.length);
  });

  it('keeps only --from (inclusive) to --to (exclusive), and writes JSONL with money as exact text', async () => {
    // Act
    const code = await exportCommand(
      ['--data-dir', tmp.dir, '--out', out(), '--format', 'jsonl', '--from', '2026-01-06', '--to', '2026-01-07'],
      {},
    );

    // Assess
    expect(code).toBe(0);
    expect(filesUnder(out())).toEqual(['date=2026-01-06/part-00000.jsonl']);
    const lines = readFileSync(join(out(), 'date=2026-01-06/part-00000.jsonl'), 'utf8').trim().split('\n');
    const expected = items.filter((i) => new Date(i.transaction.timestamp).toISOString().startsWith('2026-01-06'));
    expect(lines.map((l) => (JSON.parse(l) as { transaction_id: string }).transaction_id)).toEqual(
      expected.map((i) => i.transaction.transactionId),
    );
    const first = JSON.parse(lines[0] as string) as Record<string, unknown>;
    expect(Object.keys(first)).toEqual(LAKE_COLUMNS.map((c) => c.name));
    const tx = expected[0]?.transaction;
    expect(first.amount).toBe(`${Math.trunc((tx?.amount ?? 0) / 10_000)}.${String((tx?.amount ?? 0) % 10_000).padStart(4, '0')}`);
    for (const pan of TEST_PANS) expect(lines.join('\n')).not.toContain(pan);
  });

  it('writes CSV with one header and quoted text that holds commas or quotes', async () => {
    // Act
    await exportCommand(['--data-dir', tmp.dir, '--out', out(), '--format', 'csv'], {});

    // Assess
    const files = filesUnder(out());
    const texts = files.map((f) => readFileSync(join(out(), f), 'utf8'));
    for (const t of texts) expect(t.split('\n')[0]).toBe(LAKE_COLUMNS.map((c) => c.name).join(','));
    const all = texts.join('');
    expect(all).toContain('"Shop, ""the best"""');
    expect(texts.reduce((n, t) => n + t.trim().split('\n').length - 1, 0)).toBe(items.length);
  });

  it('refuses an --out folder that already holds files, and a data dir without a database', async () => {
    // Prepare
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const { main } = await import('../../src/cli/main.js');
    await exportCommand(['--data-dir', tmp.dir, '--out', out()], {});
    writeFileSync(join(tmp.dir, 'x'), '');

    // Act
    const again = await main(['export', '--data-dir', tmp.dir, '--out', out()], {});
    const noDb = await main(['export', '--data-dir', join(tmp.dir, 'lake'), '--out', join(tmp.dir, 'other')], {});

    // Assess
    expect(again).toBe(2);
    expect(noDb).toBe(2);
    const messages = err.mock.calls.map((c) => String(c[0])).join('');
    expect(messages).toContain('must be a new or empty folder');
    expect(messages).toContain('no database in');
  });
});
