import { readFileSync } from 'node:fs';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoFeatureHistory } from '../../src/adapters/aws/DynamoFeatureHistory.js';
import { queryPages } from '../../src/adapters/aws/DynamoSupport.js';
import { historyHorizonMs, replayHistory } from '../../src/core/featureHistory.js';
import {
  ENTITIES,
  type Features,
  FeatureWindows,
  type FeatureWindowsOptions,
  featureValue,
  labelCounts,
  previousOf,
  type Stat,
} from '../../src/core/features.js';
import { LABEL_ENTITIES, LABEL_WINDOWS, LabelFeedback } from '../../src/core/labels.js';
import { modelVector } from '../../src/core/model/vector.js';
import { compileRuleSet, type RuleSet } from '../../src/core/rules.js';
import { decide } from '../../src/core/scoring.js';
import type { Transaction } from '../../src/core/transaction.js';
import { WINDOWS } from '../../src/core/windows.js';
import { labelledHistory, labelledTransaction } from '../helpers/labelledHistory.js';
import { seededRandom } from '../helpers/random.js';
import { makeTx } from '../helpers/transactions.js';
import { emulatorClients, uniqueName } from './clients.js';
import { createTables, type TableNames } from './dynamoTables.js';

const DAY = 86_400_000;
const STATS: Stat[] = ['count', 'sum', 'avg', 'countries', 'prior_count', 'prior_sum', 'prior_avg'];
const RULES: RuleSet = compileRuleSet(JSON.parse(readFileSync(new URL('../../rules/default.json', import.meta.url), 'utf8')));
const DECIDED_AT = new Date(Date.UTC(2024, 5, 1));

/**
 * Everything scoring reads from features, through the stable readers only (the in-memory layout
 * of `Features` is free to change): every stat of every window of every entity, each entity's
 * previous event, the known-label counts, the model vector and the rules' decision.
 */
function fingerprint(tx: Transaction, f: Features): unknown {
  const stats = ENTITIES.flatMap((e) => WINDOWS.flatMap((w) => STATS.map((s) => featureValue(f, e, w, s, tx.amount))));
  const previous = ENTITIES.map((e) => previousOf(f, e) ?? null);
  const labels = LABEL_ENTITIES.flatMap((e) => LABEL_WINDOWS.map((w) => labelCounts(f, e, w)));
  return { id: tx.transactionId, stats, previous, labels, vector: [...modelVector(tx, f)], decision: decide(RULES, tx, f, DECIDED_AT) };
}

/**
 * ~2,000 transactions over 20 days: 150 accounts with one card each, 40 terminals, 12
 * merchants, three countries; some rows without card or terminal; labels on 19 of 20 rows.
 */
function stream(seed: number): Transaction[] {
  const rand = seededRandom(seed);
  const countries = ['FR', 'FR', 'FR', 'DE', 'US'];
  return labelledHistory({ days: 20, perDay: 100, seed }).rows.map((r) => {
    const tx = labelledTransaction(r);
    tx.country = countries[Math.floor(rand() * countries.length)] as string;
    const roll = rand();
    if (roll < 0.05) delete tx.card;
    else if (roll < 0.1) delete tx.terminalId;
    return tx;
  });
}

/** Cuts the stream into batches of 1–150 and shuffles each batch a little (late events within it). */
function batches(txs: readonly Transaction[], seed: number): Transaction[][] {
  const rand = seededRandom(seed);
  const out: Transaction[][] = [];
  for (let i = 0; i < txs.length; ) {
    const n = 1 + Math.floor(rand() * 150);
    const b = txs.slice(i, i + n);
    for (let k = b.length - 1; k > 0; k--) {
      if (rand() < 0.3) {
        const j = Math.floor(rand() * (k + 1));
        [b[k], b[j]] = [b[j] as Transaction, b[k] as Transaction];
      }
    }
    out.push(b);
    i += n;
  }
  return out;
}

describe('DynamoFeatureHistory', () => {
  const clients = emulatorClients();
  let tables: TableNames;
  // Small query pages so every entity query paginates.
  const history = (): DynamoFeatureHistory =>
    new DynamoFeatureHistory({ client: clients.dynamo, featuresTable: tables.features, pageSize: 100 });

  beforeAll(async () => {
    tables = await createTables(clients.dynamo, uniqueName('features'));
  });

  /**
   * Scores the stream batch by batch the AWS way (fresh windows, load, observe, append) and all
   * at once the local way (one long-lived FeatureWindows); returns both fingerprints. `between`
   * runs after each batch, for API labels.
   */
  async function scoreBothWays(
    h: DynamoFeatureHistory,
    all: Transaction[][],
    options: () => FeatureWindowsOptions,
    between?: (k: number, reference: FeatureWindows) => Promise<void>,
  ): Promise<{ remote: unknown[]; local: unknown[] }> {
    const reference = new FeatureWindows(options());
    const remote: unknown[] = [];
    const local: unknown[] = [];
    for (const [k, batch] of all.entries()) {
      const fresh = new FeatureWindows(options());
      replayHistory(await h.load(batch, historyHorizonMs(fresh)), fresh);
      for (const tx of batch) {
        remote.push(fingerprint(tx, fresh.observe(tx)));
        local.push(fingerprint(tx, reference.observe(tx)));
      }
      await h.append(batch);
      await between?.(k, reference);
    }
    return { remote, local };
  }

  it('gives the same features batch by batch as one in-memory FeatureWindows (no label feedback)', async () => {
    // Prepare
    const txs = stream(11).map((tx) => ({ ...tx, accountId: `nl-${tx.accountId}`, transactionId: `nl-${tx.transactionId}` }));
    const all = batches(txs, 5);
    // Act
    const { remote, local } = await scoreBothWays(history(), all, () => ({}));
    // Assess
    expect(txs.length).toBeGreaterThanOrEqual(2_000);
    expect(all.length).toBeGreaterThan(10);
    expect(remote).toHaveLength(txs.length);
    expect(remote).toEqual(local);
  }, 240_000);

  it('gives the same features with label feedback, labels in the data and labels reported later through label()', async () => {
    // Prepare: its own entities (prefixed), a 2-day label delay so labels come into play
    const txs = stream(23).map((tx) => ({
      ...tx,
      transactionId: `lb-${tx.transactionId}`,
      accountId: `lb-${tx.accountId}`,
      ...(tx.card ? { card: { ...tx.card, token: `lb-${tx.card.token}` } } : {}),
      terminalId: tx.terminalId === undefined ? undefined : `lb-${tx.terminalId}`,
      merchant: `lb-${tx.merchant ?? ''}`,
    }));
    for (const tx of txs) if (tx.terminalId === undefined) delete tx.terminalId;
    const all = batches(txs, 9);
    const h = history();
    const options = (): FeatureWindowsOptions => ({ labels: new LabelFeedback({ delayMs: 2 * DAY }) });
    const unlabelled = txs.filter((tx) => tx.label === undefined);
    let reported = 0;
    // After some batches, report a label for an unlabelled transaction already seen, known from
    // the stream's event time "now" (as the local runtime does), through both paths.
    const between = async (k: number, reference: FeatureWindows): Promise<void> => {
      if (k % 2 === 1) return;
      const seen = new Set(all.slice(0, k + 1).flat().map((t) => t.transactionId));
      for (const tx of unlabelled.filter((t) => seen.has(t.transactionId)).slice(reported, reported + 4)) {
        const knownAt = Math.max(reference.latest, tx.timestamp);
        reference.labels?.scheduleAt(tx, 1, knownAt);
        await h.label(tx, 1, knownAt);
        reported++;
      }
    };
    // Act
    const { remote, local } = await scoreBothWays(h, all, options, between);
    // Assess: labels did reach features, and both ways agree
    expect(reported).toBeGreaterThan(20);
    const withLabels = local.filter((f) => (f as { labels: { known: number }[] }).labels.some((c) => c.known > 0));
    expect(withLabels.length).toBeGreaterThan(txs.length / 2);
    expect(remote).toEqual(local);
  }, 240_000);

  it('finds a label reported late for a transaction older than the loaded range', async () => {
    // Prepare: an old transaction; 60 days later its account is active again and the old one is
    // reported as fraud (known now): the new transactions must count that label.
    const h = history();
    const t0 = Date.UTC(2024, 0, 1);
    const old = makeTx({ transactionId: 'old-1', accountId: 'old-acc', timestamp: t0 });
    const later = [1, 2, 3].map((i) =>
      makeTx({ transactionId: `old-later-${i}`, accountId: 'old-acc', timestamp: t0 + 60 * DAY + i * 60_000 }),
    );
    const options = (): FeatureWindowsOptions => ({ labels: new LabelFeedback({ delayMs: 7 * DAY }) });
    const reference = new FeatureWindows(options());
    reference.observe(old);
    await h.append([old]);
    const knownAt = t0 + 60 * DAY;
    reference.labels?.scheduleAt(old, 1, knownAt);
    await h.label(old, 1, knownAt);
    // Act
    const fresh = new FeatureWindows(options());
    replayHistory(await h.load(later, historyHorizonMs(fresh)), fresh);
    const remote = later.map((tx) => fresh.observe(tx));
    const local = later.map((tx) => reference.observe(tx));
    // Assess: the label counts as it does in memory, from its known time on
    const counts = (fs: Features[]): unknown => fs.map((f) => LABEL_WINDOWS.map((w) => labelCounts(f, 'account', w)));
    expect(counts(remote)).toEqual(counts(local));
    expect(labelCounts(remote[0] as Features, 'account', '1d')).toEqual({ known: 1, frauds: 1 });
    // The documented difference: `previous` is looked for only inside the loaded range, as after
    // a local restart, so the 60-day-old event is not the account's previous one here.
    expect(previousOf(local[0] as Features, 'account')?.timestamp).toBe(t0);
    expect(previousOf(remote[0] as Features, 'account')).toBeUndefined();
  });

  it('never shows a re-delivered batch its own events as history', async () => {
    // Prepare: a batch on one account, scored once and appended
    const h = history();
    const batch = Array.from({ length: 40 }, (_, i) =>
      makeTx({ transactionId: `rd-${i}`, accountId: 'rd-acc', terminalId: 'rd-term', timestamp: Date.UTC(2024, 3, 1) + i * 20_000 }),
    );
    const first = new FeatureWindows();
    replayHistory(await h.load(batch, historyHorizonMs(first)), first);
    const once = batch.map((tx) => fingerprint(tx, first.observe(tx)));
    await h.append(batch);
    // Act: the same batch again (re-delivery), and again after a second append
    const again = new FeatureWindows();
    replayHistory(await h.load(batch, historyHorizonMs(again)), again);
    const twice = batch.map((tx) => fingerprint(tx, again.observe(tx)));
    await h.append(batch);
    const third = new FeatureWindows();
    replayHistory(await h.load(batch.slice(10, 20), historyHorizonMs(third)), third);
    // Assess
    expect(twice).toEqual(once);
    expect(featureValue(third.observe(batch[10] as Transaction), 'account', '1h', 'count', 0)).toBe(11);
  });

  it('writes a batch of more than 25 items in several BatchWriteItem calls and reads them all back', async () => {
    // Prepare: 60 transactions × 4 entities = 240 items, one repeated
    const h = history();
    const txs = Array.from({ length: 60 }, (_, i) =>
      makeTx({
        transactionId: `bw-${i}`,
        accountId: 'bw-acc',
        card: { token: 'bw-card', masked: '400000******0000' },
        terminalId: 'bw-term',
        merchant: 'bw-merchant',
        timestamp: Date.UTC(2024, 4, 1) + i * 1_000,
      }),
    );
    // Act
    await h.append([...txs, txs[0] as Transaction]);
    const fresh = new FeatureWindows();
    const probe = makeTx({ transactionId: 'bw-probe', accountId: 'bw-acc', merchant: 'bw-merchant', timestamp: Date.UTC(2024, 4, 1) + 59_500 });
    replayHistory(await h.load([probe], historyHorizonMs(fresh)), fresh);
    const f = fresh.observe(probe);
    // Assess: all 60 events (and the probe) seen once, on account and merchant alike
    expect(featureValue(f, 'account', '1h', 'count', 0)).toBe(61);
    expect(featureValue(f, 'merchant', '1h', 'count', 0)).toBe(61);
  });

  /** The items of one entity's partition (bucket, label and legacy event items alike). */
  async function partition(entity: string): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    await queryPages(
      clients.dynamo,
      { TableName: tables.features, KeyConditionExpression: 'entity = :e', ExpressionAttributeValues: { ':e': entity } },
      (page) => {
        items.push(...page);
        return true;
      },
    );
    return items;
  }

  it('keeps a busy merchant in one item per batch and day, and scores it as one in-memory FeatureWindows', async () => {
    // Prepare: 1,000 transactions of 200 accounts at one merchant and one terminal over 3 days
    // from 06:00 (4 calendar days), in 5 batches of 200 (each spans 0.6 days, some cross midnight)
    const t0 = Date.UTC(2024, 6, 1, 6);
    const txs = Array.from({ length: 1_000 }, (_, i) =>
      makeTx({
        transactionId: `hot-${String(i).padStart(5, '0')}`,
        accountId: `hot-acc-${i % 200}`,
        merchant: 'hot-merchant',
        terminalId: 'hot-term',
        country: i % 7 === 0 ? 'DE' : 'FR',
        amount: 10_000 + (i % 97) * 1_000,
        timestamp: t0 + i * 259_200,
      }),
    );
    const all = Array.from({ length: 5 }, (_, k) => txs.slice(k * 200, (k + 1) * 200));
    // Act
    const { remote, local } = await scoreBothWays(history(), all, () => ({}));
    const items = await partition('merchant#hot-merchant');
    const days = new Set(txs.map((tx) => Math.floor(tx.timestamp / DAY)));
    const batchDays = all.reduce((n, b) => n + new Set(b.map((tx) => Math.floor(tx.timestamp / DAY))).size, 0);
    // Assess: exact features; one item per (batch, day), not one per event
    expect(remote).toEqual(local);
    expect(days.size).toBe(4);
    expect(items).toHaveLength(batchDays);
    expect(batchDays).toBeLessThan(10);
  });

  it('keeps the events of two batches appended at the same time on the same entities', async () => {
    // Prepare: two batches on one account, card and merchant, the same day, interleaved in time
    const h = history();
    const t0 = Date.UTC(2024, 7, 1, 10);
    const card = { token: 'cc-card', masked: '400000******0000', bin: '400000', last4: '0000' };
    const make = (batch: string, i: number): Transaction =>
      makeTx({ transactionId: `cc-${batch}-${i}`, accountId: 'cc-acc', card, merchant: 'cc-m', timestamp: t0 + i * 60_000 + (batch === 'a' ? 0 : 30_000) });
    const a = Array.from({ length: 30 }, (_, i) => make('a', i));
    const b = Array.from({ length: 30 }, (_, i) => make('b', i));
    // Act: the two appends race, as two scoring functions do
    await Promise.all([h.append(a), h.append(b)]);
    const probe = makeTx({ transactionId: 'cc-probe', accountId: 'cc-acc', timestamp: t0 + 31 * 60_000 });
    const slice = await h.load([probe], DAY);
    // Assess: every event of both, once, with its card
    expect(slice.events.map((tx) => tx.transactionId).sort()).toEqual([...a, ...b].map((tx) => tx.transactionId).sort());
    expect(slice.events.every((tx) => tx.card?.token === 'cc-card' && tx.card.last4 === '0000' && tx.merchant === 'cc-m')).toBe(true);
    expect(await partition('account#cc-acc')).toHaveLength(2);
  });

  it('writes each entity once per day per batch, and a redelivered batch onto the same items', async () => {
    // Prepare: 40 transactions of 4 accounts at 2 merchants on one day
    const h = history();
    const t0 = Date.UTC(2024, 8, 1, 8);
    const txs = Array.from({ length: 40 }, (_, i) =>
      makeTx({ transactionId: `once-${i}`, accountId: `once-acc-${i % 4}`, merchant: `once-m-${i % 2}`, timestamp: t0 + i * 1_000 }),
    );
    // Act
    await h.append(txs);
    await h.append([...txs].reverse());
    // Assess
    expect(await partition('account#once-acc-0')).toHaveLength(1);
    expect(await partition('merchant#once-m-1')).toHaveLength(1);
  });

  it('still reads event items of the one-item-per-event layout', async () => {
    // Prepare: an event stored as the earlier layout did, and a newer one in a bucket
    const h = history();
    const t0 = Date.UTC(2024, 9, 1, 12);
    const old = makeTx({ transactionId: 'legacy-1', accountId: 'legacy-acc', timestamp: t0 });
    const { attributes: _a, ...stored } = old;
    await clients.dynamo.send(
      new PutCommand({ TableName: tables.features, Item: { entity: 'account#legacy-acc', event: `${String(t0).padStart(15, '0')}#legacy-1`, tx: stored } }),
    );
    await h.append([makeTx({ transactionId: 'legacy-2', accountId: 'legacy-acc', timestamp: t0 + 60_000 })]);
    // Act
    const probe = makeTx({ transactionId: 'legacy-3', accountId: 'legacy-acc', timestamp: t0 + 120_000 });
    const fresh = new FeatureWindows();
    replayHistory(await h.load([probe], historyHorizonMs(fresh)), fresh);
    // Assess
    expect(featureValue(fresh.observe(probe), 'account', '1h', 'count', 0)).toBe(3);
  });
});
