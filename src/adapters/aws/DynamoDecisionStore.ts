import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Decision, Outcome } from '../../core/scoring.js';
import { type Alert, alertFor, isAlerting, transactionView } from '../../core/views.js';
import type { DecisionStore, StoredDecisions } from '../../ports/DecisionStore.js';
import type { AlertQuery, DecidedItem, Stats, StoredTransaction } from '../../core/records.js';
import { batchGetAll, defaultDocumentClient, isConditionalCheckFailed, type Item, mapLimit, queryPages } from './DynamoSupport.js';
import { type DynamoEventClock, STATE_ITEM_KEY } from './DynamoEventClock.js';

const DAY = 86_400_000;

/** Options of {@link DynamoDecisionStore}. */
export interface DynamoDecisionStoreOptions {
  /** Document client (created once per process by the wiring). @default a client for the Lambda environment */
  client?: DynamoDBDocumentClient;
  /** Physical name of the `decisions` table (`TABLES.decisions`). */
  decisionsTable: string;
  /** Physical name of the `state` table (`TABLES.state`): alert sequence and counters live there. */
  stateTable: string;
  /** Conditional puts in flight at once. @default 16 */
  concurrency?: number;
  /** `listAlerts` by `afterId` (or with no cursor) reads alerts decided this many days back. @default 7 */
  alertLookbackDays?: number;
  /** `listAlerts` by `since` never reads further back than this many days. @default 31 */
  maxSinceDays?: number;
  /** Clock for the alert day range (tests). @default Date.now */
  now?: () => number;
  /**
   * The event clock on the same state table: when given, each `storeDecisions` moves it to the
   * latest transaction time of the items it was given and adds the counters in the same write
   * ({@link DynamoEventClock.advanceAndCount}). @default none: the counters alone
   */
  clock?: DynamoEventClock;
}

/** Keys of the small items this store keeps on the state table. */
export const ALERT_SEQUENCE_KEY = { pk: 'seq', sk: 'alerts' } as const;
export const COUNTERS_KEY = STATE_ITEM_KEY;

/** Counter attributes of the `stats/counters` item. */
type Counter =
  | 'transactions'
  | 'decisions'
  | 'alerts'
  | Outcome
  | 'rejected'
  | 'duplicates'
  | 'filesProcessed'
  | 'filesFailed';

/**
 * Decisions on DynamoDB. One item per transaction id in the decisions table:
 *
 * `{ id, decision, transaction (masked view, no PAN), source?, decidedAt, alertDay?, alertId?, alert? }`
 *
 * Each decision is a conditional put (`attribute_not_exists(id)`), so re-delivery never makes
 * a second decision or alert. Alerting decisions also carry `alertDay` (UTC day of `decided_at`)
 * and `alertId`, which puts them in the sparse `alerts` index. Alert ids come from one atomic
 * counter (`pk=seq, sk=alerts` on the state table): a batch reserves as many ids as it has
 * alerting decisions with a single `ADD` *before* its puts, so ids are increasing but not dense —
 * an id reserved for a decision that turns out to be a duplicate is never used.
 *
 * Counters behind `stats()` are one item (`pk=stats, sk=counters`) bumped with `ADD` after the
 * puts of a batch. There is no transaction around the two (no TransactWriteItems): a process that
 * dies between them leaves decisions stored but not counted, so the counters can undercount
 * after a crash, never overcount. The same item holds the event clock ({@link DynamoEventClock});
 * given the clock, the store moves it with the counters in one update, so a batch (or a POST)
 * writes the state table once.
 *
 * @example
 * const store = new DynamoDecisionStore({ client: clients.dynamo, decisionsTable, stateTable });
 * const { stored, duplicates, alerts } = await store.storeDecisions(items);
 */
export class DynamoDecisionStore implements DecisionStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly decisionsTable: string;
  private readonly stateTable: string;
  private readonly concurrency: number;
  private readonly lookbackDays: number;
  private readonly maxSinceDays: number;
  private readonly now: () => number;
  private readonly clock: DynamoEventClock | undefined;

  constructor(options: DynamoDecisionStoreOptions) {
    this.client = options.client ?? defaultDocumentClient();
    this.decisionsTable = options.decisionsTable;
    this.stateTable = options.stateTable;
    this.concurrency = options.concurrency ?? 16;
    this.lookbackDays = options.alertLookbackDays ?? 7;
    this.maxSinceDays = options.maxSinceDays ?? 31;
    this.now = options.now ?? Date.now;
    this.clock = options.clock;
  }

  async findDecisions(ids: readonly string[]): Promise<Map<string, Decision>> {
    const distinct = [...new Set(ids)];
    const items = await batchGetAll(
      this.client,
      this.decisionsTable,
      distinct.map((id) => ({ id })),
      { projection: '#id, #d', names: { '#id': 'id', '#d': 'decision' } },
    );
    return new Map(items.map((it) => [it.id as string, it.decision as Decision]));
  }

  async storeDecisions(items: readonly DecidedItem[]): Promise<StoredDecisions> {
    const alerting = items.filter((it) => isAlerting(it.decision)).length;
    let nextAlertId = alerting > 0 ? (await this.reserveAlertIds(alerting)) - alerting + 1 : 0;
    const results = await mapLimit(items, this.concurrency, async (it) => {
      const alert = isAlerting(it.decision)
        ? { id: nextAlertId++, ...alertFor(it.transaction, it.decision) }
        : undefined;
      try {
        await this.client.send(
          new PutCommand({
            TableName: this.decisionsTable,
            Item: decisionItem(it, alert),
            ConditionExpression: 'attribute_not_exists(id)',
          }),
        );
        return { status: 'stored' as const, alert };
      } catch (e) {
        if (isConditionalCheckFailed(e)) return { status: 'duplicate' as const };
        return { status: 'failed' as const, error: e };
      }
    });
    const stored: DecidedItem[] = [];
    const duplicates: string[] = [];
    const alerts: Alert[] = [];
    const deltas: Partial<Record<Counter, number>> = {};
    const add = (c: Counter, n: number): void => {
      deltas[c] = (deltas[c] ?? 0) + n;
    };
    let failure: unknown;
    results.forEach((r, i) => {
      const it = items[i] as DecidedItem;
      if (r.status === 'stored') {
        stored.push(it);
        add('transactions', 1);
        add('decisions', 1);
        add(it.decision.outcome, 1);
        if (r.alert) {
          alerts.push(r.alert);
          add('alerts', 1);
        }
      } else if (r.status === 'duplicate') {
        duplicates.push(it.decision.transaction_id);
      } else {
        failure ??= r.error;
      }
    });
    // Count what was stored even when a put failed, so a retry of the batch (which finds those
    // as duplicates) leaves the counters right. The clock moves to the latest time given: every
    // item was scored, duplicates included (a redelivery thus repairs a clock an earlier attempt
    // stopped before moving).
    if (this.clock) {
      let latest = Number.NEGATIVE_INFINITY;
      for (const it of items) if (it.transaction.timestamp > latest) latest = it.transaction.timestamp;
      await this.clock.advanceAndCount(latest, deltas as Record<string, number>);
    } else {
      await this.add(deltas);
    }
    if (failure !== undefined) throw failure;
    alerts.sort((a, b) => a.id - b.id);
    return { stored, duplicates, alerts };
  }

  /** The alerts stored with these ids' decisions (ids without an alert are skipped), in id order. */
  async findAlerts(ids: readonly string[]): Promise<Alert[]> {
    const items = await batchGetAll(
      this.client,
      this.decisionsTable,
      [...new Set(ids)].map((id) => ({ id })),
      { projection: '#a', names: { '#a': 'alert' } },
    );
    return items
      .flatMap((it) => (it.alert ? [it.alert as Alert] : []))
      .sort((a, b) => a.id - b.id);
  }

  async getTransaction(id: string): Promise<StoredTransaction | undefined> {
    const res = await this.client.send(new GetCommand({ TableName: this.decisionsTable, Key: { id } }));
    if (!res.Item) return undefined;
    return {
      transaction: res.Item.transaction as StoredTransaction['transaction'],
      decision: res.Item.decision as Decision,
    };
  }

  /**
   * Alerts in id order: with `afterId`, those with a greater id decided in the last
   * `alertLookbackDays` days; with `since`, those created at or after it (at most `maxSinceDays`
   * back). Reads the `alerts` index one UTC day partition at a time — every day of the range,
   * because an alert decided just before midnight can be stored (and numbered) just after it —
   * and merges by id.
   */
  async listAlerts(q: AlertQuery): Promise<Alert[]> {
    if (!(q.limit > 0)) return [];
    const now = this.now();
    let from = now - this.lookbackDays * DAY;
    if (q.since !== undefined) {
      const since = Date.parse(q.since);
      if (Number.isNaN(since)) throw new RangeError(`since must be an ISO 8601 time, got ${JSON.stringify(q.since)}`);
      from = Math.max(since, now - this.maxSinceDays * DAY);
    }
    const days: string[] = [];
    // Through tomorrow: a scorer's clock may run a little ahead of this one.
    for (let t = startOfDay(from); t <= now + DAY; t += DAY) days.push(dayOf(t));
    const perDay = await mapLimit(days, 8, (day) => this.alertsOfDay(day, q));
    return perDay
      .flat()
      .sort((a, b) => a.id - b.id)
      .slice(0, q.limit);
  }

  async stats(): Promise<Stats> {
    const res = await this.client.send(
      new GetCommand({ TableName: this.stateTable, Key: COUNTERS_KEY, ConsistentRead: true }),
    );
    const c = res.Item ?? {};
    const n = (k: Counter): number => (typeof c[k] === 'number' ? c[k] : 0);
    return {
      transactions: n('transactions'),
      decisions: n('decisions'),
      alerts: n('alerts'),
      rejected: n('rejected'),
      duplicates: n('duplicates'),
      outcomes: { allow: n('allow'), review: n('review'), block: n('block') },
      // Files in progress are not counted on AWS (each ingest keeps its own checkpoint).
      files: { processed: n('filesProcessed'), failed: n('filesFailed'), processing: 0 },
    };
  }

  async count(
    deltas: Partial<Record<'rejected' | 'duplicates' | 'filesProcessed' | 'filesFailed', number>>,
  ): Promise<void> {
    await this.add(deltas);
  }

  /** Reserves `n` alert ids with one atomic `ADD`; returns the last one. */
  private async reserveAlertIds(n: number): Promise<number> {
    const res = await this.client.send(
      new UpdateCommand({
        TableName: this.stateTable,
        Key: ALERT_SEQUENCE_KEY,
        UpdateExpression: 'ADD #v :n',
        ExpressionAttributeNames: { '#v': 'value' },
        ExpressionAttributeValues: { ':n': n },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return res.Attributes?.value as number;
  }

  private async add(deltas: Partial<Record<Counter, number>>): Promise<void> {
    const entries = Object.entries(deltas).filter(([, v]) => v !== undefined && v !== 0) as [Counter, number][];
    if (entries.length === 0) return;
    const names: Record<string, string> = {};
    const values: Record<string, number> = {};
    const parts = entries.map(([k, v], i) => {
      names[`#c${i}`] = k;
      values[`:c${i}`] = v;
      return `#c${i} :c${i}`;
    });
    await this.client.send(
      new UpdateCommand({
        TableName: this.stateTable,
        Key: COUNTERS_KEY,
        UpdateExpression: `ADD ${parts.join(', ')}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
  }

  /** Alerts of one UTC day matching the query, at most `limit`, in id order. */
  private async alertsOfDay(day: string, q: AlertQuery): Promise<Alert[]> {
    const out: Alert[] = [];
    const byId = q.afterId !== undefined && q.since === undefined;
    await queryPages(
      this.client,
      {
        TableName: this.decisionsTable,
        IndexName: 'alerts',
        KeyConditionExpression: byId ? 'alertDay = :d AND alertId > :a' : 'alertDay = :d',
        ExpressionAttributeValues: byId ? { ':d': day, ':a': q.afterId } : { ':d': day },
        ScanIndexForward: true,
        Limit: Math.min(q.limit, 1_000),
      },
      (items) => {
        for (const it of items) {
          const alert = it.alert as Alert;
          if (q.since !== undefined && alert.created_at < q.since) continue;
          out.push(alert);
          if (out.length >= q.limit) return false;
        }
        return true;
      },
    );
    return out;
  }
}

/** The decisions-table item of a decided transaction. */
function decisionItem(it: DecidedItem, alert: Alert | undefined): Item {
  const d = it.decision;
  const item: Item = {
    id: d.transaction_id,
    decision: d,
    transaction: transactionView(it.transaction),
    decidedAt: d.decided_at,
  };
  if (it.source) item.source = it.source;
  if (alert) {
    item.alertDay = alertDayOf(d.decided_at);
    item.alertId = alert.id;
    item.alert = alert;
  }
  return item;
}

/** UTC day (`YYYY-MM-DD`) of a decision time: the `alerts` index partition. */
export function alertDayOf(decidedAt: string): string {
  const t = Date.parse(decidedAt);
  return Number.isNaN(t) ? decidedAt.slice(0, 10) : dayOf(t);
}

function dayOf(t: number): string {
  return new Date(t).toISOString().slice(0, 10);
}

function startOfDay(t: number): number {
  return Math.floor(t / DAY) * DAY;
}
