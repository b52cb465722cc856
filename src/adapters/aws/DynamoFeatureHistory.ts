import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { HistorySlice, LaterLabel } from '../../core/featureHistory.js';
import { ENTITIES, type Entity } from '../../core/features.js';
import type { Label, Transaction } from '../../core/transaction.js';
import type { FeatureHistory } from '../../ports/FeatureHistory.js';
import { batchPutAll, defaultDocumentClient, type Item, mapLimit, queryPages } from './DynamoSupport.js';

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

/** The transaction as kept in an event item: everything but the free-form attributes. */
type StoredTx = Omit<Transaction, 'attributes'>;

/** Width of the zero-padded epoch-ms prefix of `event` sort keys (sorts as text = sorts by time). */
const TIME_DIGITS = 15;

/**
 * Windowed feature history on DynamoDB, for scorers that keep no state between invocations.
 *
 * The `features` table holds one item per (entity, event):
 * - **event items** — `entity` = `account#<id>` | `card#<token>` | `terminal#<id>` | `merchant#<id>`,
 *   `event` = `<timestamp, 15 digits>#<transactionId>`, `tx` = the tokenised transaction (no PAN;
 *   its free-form `attributes` dropped: no feature reads them), `expiresAt` (TTL, epoch s).
 *   Written by {@link append} with BatchWriteItem; the same transaction always makes the same
 *   keys, so re-delivery overwrites instead of duplicating.
 * - **label items** — a label learned later (API, chargeback) is an event of its own at the time
 *   it became known: `event` = `<knownAt, 15 digits>!label#<transactionId>`, with `label`,
 *   `labelKnownAt` and the transaction's entity keys in `tx`. Keyed by `knownAt` rather than
 *   written onto the transaction's event items, because a label counts in label windows by
 *   when it became known: a label on a transaction older than the loaded range must still be
 *   found, and this way the one range query per entity finds it.
 *
 * {@link load} queries every entity of a batch over [earliest batch time − horizon, latest batch
 * time] (`historyHorizonMs`: the windows' longest window + lateness, plus the label delay when
 * label feedback is on). It drops the batch's own ids (a re-delivered transaction never sees
 * itself), de-duplicates events by transaction id across entities and keeps each transaction's
 * first later-known label. `replayHistory` then schedules those labels and replays the events in
 * (time, id) order. The result equals one long-lived in-memory `FeatureWindows` fed the same
 * stream (tested), with one difference: `previous` (the entity's last earlier event) is looked
 * for only inside that range, as after a local restart.
 *
 * Cost: one Query per distinct entity per batch, reading the entity's whole horizon. That suits
 * accounts, cards and terminals; a merchant with very many transactions per month makes large
 * reads, which pre-aggregated buckets would avoid.
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
    const from = timeKey(minT - horizonMs);
    // Every event at maxT sorts after the bare time prefix of maxT + 1 only if it is later.
    const to = timeKey(maxT + 1);
    const events = new Map<string, Transaction>();
    const labels = new Map<string, LaterLabel>();
    await mapLimit([...keys], this.concurrency, (entity) =>
      queryPages(
        this.client,
        {
          TableName: this.table,
          KeyConditionExpression: '#e = :e AND #v BETWEEN :from AND :to',
          ExpressionAttributeNames: { '#e': 'entity', '#v': 'event', '#t': 'tx', '#k': 'kind', '#l': 'label', '#a': 'labelKnownAt' },
          ExpressionAttributeValues: { ':e': entity, ':from': from, ':to': to },
          ProjectionExpression: '#t, #k, #l, #a',
          ...(this.pageSize ? { Limit: this.pageSize } : {}),
        },
        (items) => {
          for (const it of items) collect(it, own, events, labels);
          return true;
        },
      ),
    );
    return { events: [...events.values()], labels: [...labels.values()] };
  }

  async append(txs: readonly Transaction[]): Promise<void> {
    const items = new Map<string, Item>();
    for (const tx of txs) {
      const { attributes: _dropped, ...stored } = tx;
      const event = `${timeKey(tx.timestamp)}#${tx.transactionId}`;
      for (const entity of entityKeys(tx)) {
        // BatchWriteItem refuses two puts of one key in a call: a repeated transaction is written once.
        items.set(`${entity}\u0000${event}`, { entity, event, tx: stored, expiresAt: this.expiry(tx.timestamp) });
      }
    }
    await batchPutAll(this.client, this.table, [...items.values()], this.concurrency);
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

/** Epoch ms as a fixed-width decimal, so text order is time order (times before 1970 clamp to 0). */
function timeKey(t: number): string {
  return String(Math.max(0, Math.floor(t))).padStart(TIME_DIGITS, '0');
}

/** Adds one queried item to the events or later-known labels, skipping the batch's own ids. */
function collect(
  it: Item,
  own: ReadonlySet<string>,
  events: Map<string, Transaction>,
  labels: Map<string, LaterLabel>,
): void {
  const stored = it.tx as StoredTx | undefined;
  if (!stored || own.has(stored.transactionId)) return;
  const tx: Transaction = { ...stored, attributes: {} };
  if (it.kind === 'label') {
    const knownAt = it.labelKnownAt as number;
    const prior = labels.get(tx.transactionId);
    // The first label recorded stands; a later one for the same transaction is ignored.
    if (!prior || knownAt < prior.knownAt) labels.set(tx.transactionId, { transaction: tx, label: it.label as Label, knownAt });
    return;
  }
  events.set(tx.transactionId, tx);
}
