import { PutCommand, QueryCommand, type DynamoDBDocumentClient, UpdateCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { Decision } from '../../core/scoring.js';
import type { Alert, TransactionView } from '../../core/views.js';
import type { HistoryEntry, ReviewAuditEntry, ReviewDetail, ReviewQuery, ReviewStore } from '../../ports/ReviewStore.js';
import { alertDayOf } from './DynamoDecisionStore.js';
import { batchGetAll, defaultDocumentClient, type Item, queryPages } from './DynamoSupport.js';

const DAY = 86_400_000;

/** Options of {@link DynamoReviewStore}. */
export interface DynamoReviewStoreOptions {
  client?: DynamoDBDocumentClient;
  /** Physical name of the `decisions` table, whose sparse `alerts` index the queue reads. */
  decisionsTable: string;
  /** Physical name of the `state` table: reported labels and the review audit trail. */
  stateTable: string;
  /** How many days back (by decision day) the queue, an opened alert and its history look. @default 30 */
  lookbackDays?: number;
  /**
   * Most alerts of the index read for one riskiest-first page, for an account's history or its
   * related alerts: the index is ordered by id, so these orders and filters read and sort in the
   * function. @default 5000
   */
  maxRead?: number;
  /** Clock of the day range (tests). @default Date.now */
  now?: () => number;
}

/** The counter that numbers review audit entries, and the partition listing them all, newest last. */
const AUDIT_SEQUENCE_KEY = { pk: 'seq', sk: 'review-audit' } as const;
const AUDIT_PK = 'review-audit';
const PAD = 12;
const pad = (n: number): string => String(n).padStart(PAD, '0');

/** An alert item of the `alerts` index (all attributes projected), as {@link DynamoDecisionStore} writes it. */
interface AlertItem {
  id: string;
  alertId: number;
  alert: Alert;
  decision: Decision;
  transaction: TransactionView;
}

/**
 * The review queue on DynamoDB, over the decisions table's sparse `alerts` index (one partition
 * per UTC day of the decision, sorted by alert id), with the reported labels (`label#<id>`) and
 * the review audit trail on the state table:
 *
 * - `review#<alert id>` / `e#<n>`: an alert's trail, read with one query when it is opened;
 * - `review-audit` / `e#<n>`: every entry, for the newest-first list; `n` from one counter.
 *
 * An alert awaits review while its transaction has no label: none in its stored view (a filter of
 * the query) and none reported since (a batch get per page of candidates). Newest first pages by
 * id, day by day from the newest day back, reading only as far as the page needs. The index has
 * no order by score, account or card, so the riskiest-first order, an account's history and an
 * alert's related alerts read at most `maxRead` alerts of the last `lookbackDays` days and sort
 * or match them in the function. The decisions table has no index by account, so an alert's
 * history lists the account's transactions that raised alerts, not the ones allowed.
 *
 * @example
 * const reviews = new DynamoReviewStore({ client: clients.dynamo, decisionsTable, stateTable });
 * const page = await reviews.openAlerts({ order: 'newest', limit: 50 });
 */
export class DynamoReviewStore implements ReviewStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly decisionsTable: string;
  private readonly stateTable: string;
  private readonly lookbackDays: number;
  private readonly maxRead: number;
  private readonly now: () => number;

  constructor(options: DynamoReviewStoreOptions) {
    this.client = options.client ?? defaultDocumentClient();
    this.decisionsTable = options.decisionsTable;
    this.stateTable = options.stateTable;
    this.lookbackDays = options.lookbackDays ?? 30;
    this.maxRead = options.maxRead ?? 5000;
    this.now = options.now ?? Date.now;
  }

  async openAlerts(q: ReviewQuery): Promise<Alert[]> {
    const filter = queueFilter(q);
    const matches = (a: Alert): boolean => q.rule === undefined || a.reasons.some((r) => r.rule === q.rule);
    if (q.order === 'newest') {
      const out: Alert[] = [];
      await this.walk(
        { ...filter, ...(q.after ? { beforeId: q.after.id } : {}) },
        async (items) => {
          out.push(...(await this.unlabelled(items.filter((i) => matches(i.alert)))).map((i) => i.alert));
          return out.length < q.limit;
        },
        q.limit,
      );
      return out.sort((a, b) => b.id - a.id).slice(0, q.limit);
    }
    const candidates: Alert[] = [];
    let read = 0;
    await this.walk(filter, async (items, scanned) => {
      read += scanned;
      candidates.push(...(await this.unlabelled(items.filter((i) => matches(i.alert)))).map((i) => i.alert));
      return read < this.maxRead;
    });
    const after = q.after;
    return candidates
      .filter((a) => !after || a.score < (after.score ?? Number.POSITIVE_INFINITY) || (a.score === after.score && a.id < after.id))
      .sort((a, b) => b.score - a.score || b.id - a.id)
      .slice(0, q.limit);
  }

  async alertDetail(id: number, historyLimit: number): Promise<ReviewDetail | undefined> {
    const item = await this.findAlert(id);
    if (!item) return undefined;
    const label = await this.labelOf(item);
    const detail: ReviewDetail = {
      alert: item.alert,
      stored: { transaction: item.transaction, decision: item.decision },
      history: historyLimit > 0 ? await this.history(item, historyLimit) : [],
      related: historyLimit > 0 ? await this.related(item) : [],
      audit: await this.auditOf(`review#${id}`, false),
    };
    if (label) detail.label = label;
    return detail;
  }

  async recordReview(e: ReviewAuditEntry): Promise<void> {
    const res = await this.client.send(
      new UpdateCommand({
        TableName: this.stateTable,
        Key: AUDIT_SEQUENCE_KEY,
        UpdateExpression: 'ADD #v :one',
        ExpressionAttributeNames: { '#v': 'value' },
        ExpressionAttributeValues: { ':one': 1 },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    const sk = `e#${pad(res.Attributes?.value as number)}`;
    const body = {
      at: e.at,
      user: e.user,
      action: e.action,
      alertId: e.alertId,
      transactionId: e.transactionId,
      label: e.label,
      result: e.result,
      ...(e.note !== undefined ? { note: e.note } : {}),
    };
    // The alert's own trail first: the global list only ever names entries its alert shows.
    await this.client.send(new PutCommand({ TableName: this.stateTable, Item: { pk: `review#${e.alertId}`, sk, ...body } }));
    await this.client.send(new PutCommand({ TableName: this.stateTable, Item: { pk: AUDIT_PK, sk, ...body } }));
  }

  async reviewAudit(limit: number): Promise<ReviewAuditEntry[]> {
    return (await this.auditOf(AUDIT_PK, true, limit)).slice(0, limit);
  }

  /** The newest alert id of the index, looking back day by day; 0 when there is none in the lookback. */
  async latestAlertId(): Promise<number> {
    let latest = 0;
    for (const day of this.days()) {
      const res = await this.client.send(
        new QueryCommand({
          TableName: this.decisionsTable,
          IndexName: 'alerts',
          KeyConditionExpression: 'alertDay = :d',
          ExpressionAttributeValues: { ':d': day },
          ScanIndexForward: false,
          Limit: 1,
        }),
      );
      const id = res.Items?.[0]?.alertId as number | undefined;
      if (id !== undefined) latest = Math.max(latest, id);
      // Days overlap at midnight only: past today, the first day with an alert has the newest.
      if (latest > 0 && day <= this.today()) return latest;
    }
    return latest;
  }

  /** The index's items of one alert, by id: the newest days first, where alerts are opened most. */
  private async findAlert(id: number): Promise<AlertItem | undefined> {
    for (const day of this.days()) {
      const res = await this.client.send(
        new QueryCommand({
          TableName: this.decisionsTable,
          IndexName: 'alerts',
          KeyConditionExpression: 'alertDay = :d AND alertId = :id',
          ExpressionAttributeValues: { ':d': day, ':id': id },
        }),
      );
      const found = res.Items?.[0];
      if (found) return found as unknown as AlertItem;
    }
    return undefined;
  }

  /** The account's alerted transactions, newest first, with their decisions and labels. */
  private async history(item: AlertItem, limit: number): Promise<HistoryEntry[]> {
    const found: AlertItem[] = [];
    let read = 0;
    await this.walk({ expression: '#a.#acc = :acc', names: { '#a': 'alert', '#acc': 'account_id' }, values: { ':acc': item.alert.account_id } }, async (items, scanned) => {
      read += scanned;
      found.push(...items);
      return found.length < limit && read < this.maxRead;
    });
    const labels = await this.reportedLabels(found.map((i) => i.id));
    return found
      .sort((a, b) => b.alertId - a.alertId)
      .slice(0, limit)
      .map((i) => {
        const t = i.transaction;
        const e: HistoryEntry = {
          transaction_id: t.transaction_id,
          timestamp: t.timestamp,
          amount: t.amount,
          currency: t.currency,
          outcome: i.decision.outcome,
          score: i.decision.score,
        };
        if (t.merchant !== undefined) e.merchant = t.merchant;
        if (t.card) e.card = t.card.masked;
        const l = t.label ?? labels.get(i.id);
        if (l !== undefined) e.label = l === 1 ? 'fraud' : 'legit';
        return e;
      });
  }

  /** Other open alerts of the same account, or of the same card (same masked form and token). */
  private async related(item: AlertItem): Promise<Alert[]> {
    const names: Record<string, string> = { '#a': 'alert', '#acc': 'account_id' };
    const values: Record<string, unknown> = { ':acc': item.alert.account_id, ':self': item.alertId };
    names['#id'] = 'id';
    let expression = '#a.#acc = :acc';
    const card = item.transaction.card;
    if (card) {
      names['#card'] = 'card';
      names['#t'] = 'transaction';
      names['#tok'] = 'token';
      values[':card'] = card.masked;
      values[':tok'] = card.token;
      expression = `(${expression} OR (#a.#card = :card AND #t.#card.#tok = :tok))`;
    }
    const out: Alert[] = [];
    let read = 0;
    await this.walk({ expression: `${expression} AND #a.#id <> :self`, names, values, open: true }, async (items, scanned) => {
      read += scanned;
      out.push(...(await this.unlabelled(items)).map((i) => i.alert));
      return out.length < 20 && read < this.maxRead;
    });
    return out.sort((a, b) => b.id - a.id).slice(0, 20);
  }

  /**
   * Reads the index newest day first, newest id first within a day, passing each page of items
   * that pass `filter` to `onPage` until it answers false or the lookback ends.
   */
  private async walk(
    filter: IndexFilter,
    onPage: (items: AlertItem[], scanned: number) => Promise<boolean>,
    pageSize = 100,
  ): Promise<void> {
    const names: Record<string, string> = { ...filter.names };
    const values: Record<string, unknown> = { ...filter.values };
    const conditions = filter.expression ? [filter.expression] : [];
    if (filter.open) {
      // Labelled on arrival: the stored view holds the label.
      names['#t'] = 'transaction';
      names['#l'] = 'label';
      conditions.push('attribute_not_exists(#t.#l)');
    }
    let key = 'alertDay = :d';
    if (filter.beforeId !== undefined) {
      key += ' AND alertId < :before';
      values[':before'] = filter.beforeId;
    }
    for (const day of this.days()) {
      const input: QueryCommandInput = {
        TableName: this.decisionsTable,
        IndexName: 'alerts',
        KeyConditionExpression: key,
        ExpressionAttributeValues: { ...values, ':d': day },
        ...(Object.keys(names).length > 0 ? { ExpressionAttributeNames: names } : {}),
        ...(conditions.length > 0 ? { FilterExpression: conditions.join(' AND ') } : {}),
        ScanIndexForward: false,
        Limit: Math.max(pageSize, 25),
      };
      let start: Item | undefined;
      do {
        const res = await this.client.send(new QueryCommand({ ...input, ...(start ? { ExclusiveStartKey: start } : {}) }));
        const page = (res.Items ?? []) as unknown as AlertItem[];
        // Items the filter dropped were read (and billed) all the same: callers bound on `scanned`.
        if (!(await onPage(page, res.ScannedCount ?? page.length))) return;
        start = res.LastEvaluatedKey;
      } while (start);
    }
  }

  /** The items whose transaction has no reported label (the `label#<id>` items of the state table). */
  private async unlabelled(items: AlertItem[]): Promise<AlertItem[]> {
    if (items.length === 0) return [];
    const labelled = await this.reportedLabels(items.map((i) => i.id));
    return items.filter((i) => !labelled.has(i.id) && i.transaction.label === undefined);
  }

  private async reportedLabels(ids: string[]): Promise<Map<string, 0 | 1>> {
    if (ids.length === 0) return new Map();
    const got = await batchGetAll(
      this.client,
      this.stateTable,
      [...new Set(ids)].map((id) => ({ pk: `label#${id}`, sk: 'label' })),
    );
    return new Map(got.map((i) => [(i.pk as string).slice('label#'.length), i.label as 0 | 1]));
  }

  private async labelOf(item: AlertItem): Promise<'fraud' | 'legit' | undefined> {
    const l = item.transaction.label ?? (await this.reportedLabels([item.id])).get(item.id);
    return l === undefined ? undefined : l === 1 ? 'fraud' : 'legit';
  }

  private async auditOf(pk: string, newestFirst: boolean, limit?: number): Promise<ReviewAuditEntry[]> {
    const out: ReviewAuditEntry[] = [];
    await queryPages(
      this.client,
      {
        TableName: this.stateTable,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :e)',
        ExpressionAttributeValues: { ':pk': pk, ':e': 'e#' },
        ScanIndexForward: !newestFirst,
        ConsistentRead: true,
        ...(limit !== undefined ? { Limit: limit } : {}),
      },
      (items) => {
        for (const i of items) out.push(auditFromItem(i));
        return limit === undefined || out.length < limit;
      },
    );
    return out;
  }

  private today(): string {
    return alertDayOf(new Date(this.now()).toISOString());
  }

  /** The index's day partitions of the lookback, newest first (from tomorrow: clocks drift). */
  private days(): string[] {
    const now = this.now();
    const out: string[] = [];
    const first = Math.floor(now / DAY) * DAY + DAY;
    for (let t = first; t >= first - (this.lookbackDays + 1) * DAY; t -= DAY) out.push(new Date(t).toISOString().slice(0, 10));
    return out;
  }
}

/** A filter of the alerts index: an expression over the item, and reading only open alerts. */
interface IndexFilter {
  expression?: string;
  names?: Record<string, string>;
  values?: Record<string, unknown>;
  /** Only alerts whose stored transaction has no label of its own. */
  open?: boolean;
  /** Only alerts with a smaller id. */
  beforeId?: number;
}

/** The queue's filters the index can apply while reading (the rule is matched in the function). */
function queueFilter(q: ReviewQuery): IndexFilter {
  const parts: string[] = [];
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const field = (name: string): string => {
    names['#a'] = 'alert';
    names[`#${name}`] = name;
    return `#a.#${name}`;
  };
  if (q.outcome !== undefined) {
    parts.push(`${field('outcome')} = :outcome`);
    values[':outcome'] = q.outcome;
  }
  if (q.minScore !== undefined) {
    parts.push(`${field('score')} >= :min`);
    values[':min'] = q.minScore;
  }
  if (q.maxScore !== undefined) {
    parts.push(`${field('score')} <= :max`);
    values[':max'] = q.maxScore;
  }
  if (q.account !== undefined) {
    parts.push(`${field('account_id')} = :account`);
    values[':account'] = q.account;
  }
  return { ...(parts.length > 0 ? { expression: parts.join(' AND '), names, values } : {}), open: true };
}

function auditFromItem(i: Item): ReviewAuditEntry {
  const e: ReviewAuditEntry = {
    at: i.at as string,
    user: i.user as string,
    action: 'label',
    alertId: i.alertId as number,
    transactionId: i.transactionId as string,
    label: i.label as ReviewAuditEntry['label'],
    result: i.result as ReviewAuditEntry['result'],
  };
  if (typeof i.note === 'string') e.note = i.note;
  return e;
}
