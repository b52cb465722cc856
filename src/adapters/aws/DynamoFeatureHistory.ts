import { createHash } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { HistorySlice, LaterLabel } from '../../core/featureHistory.js';
import { ENTITIES, type Entity } from '../../core/features.js';
import type { Label, Transaction } from '../../core/transaction.js';
import type { FeatureHistory } from '../../ports/FeatureHistory.js';
import { batchPutAll, defaultDocumentClient, type Item, mapLimit, queryPages } from './DynamoSupport.js';
import { packEvents, unpackEvents } from './packedEvents.js';

const DAY = 86_400_000;

/** Options of {@link DynamoFeatureHistory}. */
export interface DynamoFeatureHistoryOptions {
  /** Document client (created once per process by the wiring). @default a client for the Lambda environment */
  client?: DynamoDBDocumentClient;
  /** Physical name of the `features` table (`TABLES.features`). */
  featuresTable: string;
  /** Entity queries (and batch writes) in flight at once. @default 16 */
  concurrency?: number;
  /** Items per Query page (DynamoDB's own 1 MB page limit applies anyway); small in tests. */
  pageSize?: number;
  /**
   * How long an event item lives after its time (and a label item after the time its label became
   * known), through the table's TTL. It must cover the longest window (30 days) plus the larger of
   * the lateness and the label delay, or a load misses history it needs.
   * @default 45 days
   */
  retentionMs?: number;
}

/** The transaction as kept in a legacy event item and a label item: everything but the free-form attributes. */
type StoredTx = Omit<Transaction, 'attributes'>;

/** Width of the zero-padded epoch-ms prefix of `event` sort keys (sorts as text = sorts by time). */
const TIME_DIGITS = 15;

/**
 * Events per bucket item at most: far below DynamoDB's 400 KB item limit even with long ids
 * (an event packs to a few dozen bytes), and a whole batch of one hot entity in a few items.
 */
const EVENTS_PER_ITEM = 2_000;

/**
 * Windowed feature history on DynamoDB, for scorers that keep no state between invocations.
 *
 * The `features` table holds, per entity (`entity` = `account#<id>` | `card#<token>` |
 * `terminal#<id>` | `merchant#<id>`):
 * - **bucket items** — the events one {@link append} call brings to the entity for one UTC day,
 *   packed in one binary attribute `ev` ({@link packEvents}: id, time, amount, currency, country,
 *   label and the entity keys; no PAN, no free-form attributes), with `event` =
 *   `<day start, 15 digits>~<hash of the events' ids>` and `expiresAt` (TTL, epoch s). A batch
 *   therefore writes each entity it touches once per day (grouped by entity), and a write is
 *   never a read-modify-write: each call adds its own items, so concurrent batches cannot lose
 *   each other's events, and the same events (a redelivery) make the same key and overwrite
 *   their item with the same bytes. A very large group is split into items of
 *   {@link EVENTS_PER_ITEM} events.
 * - **label items** — a label learned later (API, chargeback) is an event of its own at the time
 *   it became known: `event` = `<knownAt, 15 digits>!label#<transactionId>`, with `label`,
 *   `labelKnownAt` and the transaction's entity keys in `tx`. Keyed by `knownAt` rather than
 *   written onto the transaction's events, because a label counts in label windows by when it
 *   became known: a label on a transaction older than the loaded range must still be found, and
 *   this way the one range query per entity finds it.
 * - **event items** of the earlier layout (`event` = `<time, 15 digits>#<transactionId>`, the
 *   transaction in `tx`) are still read, so a table written before keeps its history until its
 *   TTL removes them.
 *
 * Why one item per (entity, day, batch) rather than one item per (entity, day) rewritten by each
 * batch: DynamoDB bills a write by the larger of the item before and after it, so rewriting a busy
 * merchant's day would cost its whole day's bytes on every batch, and would need a read, a
 * version condition and retries; an item written once costs its own bytes only.
 *
 * {@link load} queries every entity of a batch over [earliest batch time − horizon, latest batch
 * time] (`historyHorizonMs`: the windows' longest window + lateness, plus the label delay when
 * label feedback is on), from the start of that first day so the first bucket is read whole, and
 * keeps exactly the events and labels of the range. It drops the batch's own ids (a re-delivered
 * transaction never sees itself), de-duplicates events by transaction id across entities and
 * keeps each transaction's first later-known label. `replayHistory` then schedules those labels
 * and replays the events in (time, id) order. The result equals one long-lived in-memory
 * `FeatureWindows` fed the same stream (tested), with one difference: `previous` (the entity's
 * last earlier event) is looked for only inside that range, as after a local restart.
 *
 * Cost: one Query per distinct entity per batch, reading the entity's packed events over the
 * horizon (a few dozen bytes per event, billed by the 4 KB); one write unit per started KB of
 * each bucket item.
 *
 * @example
 * const history = new DynamoFeatureHistory({ client: clients.dynamo, featuresTable });
 * const windows = new FeatureWindows();
 * replayHistory(await history.load(batch, historyHorizonMs(windows)), windows);
 * const features = batch.map((tx) => windows.observe(tx));
 * await history.append(batch);
 */
export class DynamoFeatureHistory implements FeatureHistory {
  private readonly client: DynamoDBDocumentClient;
  private readonly table: string;
  private readonly concurrency: number;
  private readonly pageSize: number | undefined;
  private readonly retentionMs: number;

  constructor(options: DynamoFeatureHistoryOptions) {
    this.client = options.client ?? defaultDocumentClient();
    this.table = options.featuresTable;
    this.concurrency = options.concurrency ?? 16;
    this.pageSize = options.pageSize;
    this.retentionMs = options.retentionMs ?? 45 * DAY;
  }

  async load(txs: readonly Transaction[], horizonMs: number): Promise<HistorySlice> {
    if (txs.length === 0) return { events: [], labels: [] };
    const own = new Set(txs.map((t) => t.transactionId));
    let minT = Number.POSITIVE_INFINITY;
    let maxT = Number.NEGATIVE_INFINITY;
    const keys = new Set<string>();
    for (const tx of txs) {
      if (tx.timestamp < minT) minT = tx.timestamp;
      if (tx.timestamp > maxT) maxT = tx.timestamp;
      for (const k of entityKeys(tx)) keys.add(k);
    }
    // The range in whole milliseconds, as sort keys compare: [first, end).
    const range = { first: keyTime(minT - horizonMs), end: keyTime(maxT + 1) };
    const from = timeKey(dayStart(range.first));
    // Every key at or after the bare time prefix of maxT + 1 is later than maxT.
    const to = timeKey(range.end);
    const events = new Map<string, Transaction>();
    const labels = new Map<string, LaterLabel>();
    await mapLimit([...keys], this.concurrency, (entity) =>
      queryPages(
        this.client,
        {
          TableName: this.table,
          KeyConditionExpression: '#e = :e AND #v BETWEEN :from AND :to',
          ExpressionAttributeNames: {
            '#e': 'entity',
            '#v': 'event',
            '#t': 'tx',
            '#k': 'kind',
            '#l': 'label',
            '#a': 'labelKnownAt',
            '#p': 'ev',
          },
          ExpressionAttributeValues: { ':e': entity, ':from': from, ':to': to },
          ProjectionExpression: '#t, #k, #l, #a, #p',
          ...(this.pageSize ? { Limit: this.pageSize } : {}),
        },
        (items) => {
          for (const it of items) collect(it, own, range, events, labels);
          return true;
        },
      ),
    );
    return { events: [...events.values()], labels: [...labels.values()] };
  }

  async append(txs: readonly Transaction[]): Promise<void> {
    // Group by entity and day; a transaction repeated in the call is kept once.
    const groups = new Map<string, { entity: string; day: number; txs: Map<string, Transaction> }>();
    for (const tx of txs) {
      const day = dayStart(keyTime(tx.timestamp));
      for (const entity of entityKeys(tx)) {
        const key = `${entity}\u0000${day}`;
        let g = groups.get(key);
        if (!g) {
          g = { entity, day, txs: new Map() };
          groups.set(key, g);
        }
        g.txs.set(tx.transactionId, tx);
      }
    }
    const items: Item[] = [];
    for (const g of groups.values()) {
      // Ordered by id, so the same events always make the same key and bytes.
      const sorted = [...g.txs.values()].sort((a, b) => (a.transactionId < b.transactionId ? -1 : a.transactionId > b.transactionId ? 1 : 0));
      for (let i = 0; i < sorted.length; i += EVENTS_PER_ITEM) {
        const part = sorted.slice(i, i + EVENTS_PER_ITEM);
        items.push({
          entity: g.entity,
          event: `${timeKey(g.day)}~${idsHash(part)}`,
          ev: packEvents(part),
          expiresAt: this.expiry(g.day + DAY),
        });
      }
    }
    await batchPutAll(this.client, this.table, items, this.concurrency);
  }
  async label(tx: Transaction, label: Label, knownAt: number): Promise<void> {
    const keys: StoredTx = { transactionId: tx.transactionId, timestamp: tx.timestamp, accountId: tx.accountId, amount: tx.amount, currency: tx.currency };
    if (tx.card) keys.card = tx.card;
    if (tx.terminalId !== undefined) keys.terminalId = tx.terminalId;
    if (tx.merchant !== undefined) keys.merchant = tx.merchant;
    const event = `${timeKey(knownAt)}!label#${tx.transactionId}`;
    const items = [...new Set(entityKeys(tx))].map((entity) => ({
      entity,
      event,
      kind: 'label',
      tx: keys,
      label,
      labelKnownAt: knownAt,
      expiresAt: this.expiry(knownAt),
    }));
    await batchPutAll(this.client, this.table, items, this.concurrency);
  }

  private expiry(t: number): number {
    return Math.ceil((t + this.retentionMs) / 1000);
  }
}

/** The partition keys of every entity a transaction touches, in {@link ENTITIES} order. */
export function entityKeys(tx: Transaction): string[] {
  const ids: Record<Entity, string | undefined> = {
    account: tx.accountId,
    card: tx.card?.token,
    terminal: tx.terminalId,
    merchant: tx.merchant,
  };
  return ENTITIES.flatMap((e) => (ids[e] === undefined ? [] : [`${e}#${ids[e]}`]));
}

/** Epoch ms as a sort key compares it: whole milliseconds, times before 1970 clamped to 0. */
function keyTime(t: number): number {
  return Math.max(0, Math.floor(t));
}

/** Epoch ms as a fixed-width decimal, so text order is time order. */
function timeKey(t: number): string {
  return String(keyTime(t)).padStart(TIME_DIGITS, '0');
}

/** Start of the UTC day of `t` (epoch ms). */
function dayStart(t: number): number {
  return Math.floor(t / DAY) * DAY;
}

/** A short, stable name for a set of events: the first 128 bits of SHA-256 over their ids. */
function idsHash(txs: readonly Transaction[]): string {
  const h = createHash('sha256');
  for (const tx of txs) h.update(tx.transactionId).update('\u0000');
  return h.digest('base64url').slice(0, 22);
}

/**
 * Adds one queried item to the events or later-known labels: the packed events of a bucket in the
 * range, a label known in the range, or a legacy event item; the batch's own ids are skipped.
 */
function collect(
  it: Item,
  own: ReadonlySet<string>,
  range: { first: number; end: number },
  events: Map<string, Transaction>,
  labels: Map<string, LaterLabel>,
): void {
  const inRange = (t: number): boolean => keyTime(t) >= range.first && keyTime(t) < range.end;
  if (it.ev instanceof Uint8Array) {
    for (const tx of unpackEvents(it.ev)) {
      if (!own.has(tx.transactionId) && inRange(tx.timestamp)) merge(events, tx);
    }
    return;
  }
  const stored = it.tx as StoredTx | undefined;
  if (!stored || own.has(stored.transactionId)) return;
  const tx: Transaction = { ...stored, attributes: {} };
  if (it.kind === 'label') {
    const knownAt = it.labelKnownAt as number;
    if (!inRange(knownAt)) return;
    const prior = labels.get(tx.transactionId);
    // The first label recorded stands; a later one for the same transaction is ignored.
    if (!prior || knownAt < prior.knownAt) labels.set(tx.transactionId, { transaction: tx, label: it.label as Label, knownAt });
    return;
  }
  if (inRange(tx.timestamp)) events.set(tx.transactionId, tx);
}

/** Keeps one event per transaction id (every entity's copy of an event holds the same fields). */
function merge(events: Map<string, Transaction>, tx: Transaction): void {
  if (!events.has(tx.transactionId)) events.set(tx.transactionId, tx);
}
