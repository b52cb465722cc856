import { DeleteCommand, GetCommand, PutCommand, type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import {
  ACTIVE_STATUSES,
  type CaseChange,
  type CaseEvent,
  type CaseQuery,
  type CaseRecord,
  type CaseStatus,
  type CaseStore,
  type CaseSubject,
  type CaseUpdate,
} from '../../ports/CaseStore.js';
import { defaultDocumentClient, isConditionalCheckFailed, type Item, queryPages } from './DynamoSupport.js';

/** Options of {@link DynamoCaseStore}. */
export interface DynamoCaseStoreOptions {
  client?: DynamoDBDocumentClient;
  /** Physical name of the `state` table. */
  stateTable: string;
}

/** Case ids come from one atomic counter. */
const CASE_SEQUENCE_KEY = { pk: 'seq', sk: 'cases' };
/** Every case lives in one partition, so the list pages by id with one query. */
const CASES_PK = 'cases';
/** Digits of a case id or event number in a sort key, so the keys sort as the numbers do. */
const PAD = 12;
const pad = (n: number): string => String(n).padStart(PAD, '0');

/**
 * The console's cases on the state table (no table of their own; `pk` says which item):
 *
 * - `cases` / `case#<id>`: a case, with the ids of its alerts (the list is small: a case is the
 *   alerts of one account or card an analyst works together). One partition for every case keeps
 *   the list one query; a deployment with many thousands of live cases would shard it.
 * - `case-alert#<alert id>` / `case`: which case holds an alert, claimed with a conditional put,
 *   so an alert joins one case at most. It is claimed before the case is written; a claim whose
 *   case was never written (the writer stopped between the two) is taken over by the next claim.
 * - `assign#<alert id>` / `alert`: who is assigned to an alert.
 * - `events#case#<id>` or `events#alert#<id>`: the audit trail, `seq` a counter and `e#<n>` the
 *   entries, so a trail reads in order with one query.
 *
 * DynamoDB has no multi-item transactions on every emulator fraudmini tests against, so each
 * change is a conditional write on one item.
 */
export class DynamoCaseStore implements CaseStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly table: string;

  constructor(options: DynamoCaseStoreOptions) {
    this.client = options.client ?? defaultDocumentClient();
    this.table = options.stateTable;
  }

  async createCase(input: { subject: CaseSubject; user: string; at: string; alertId: number }): Promise<
    { created: true; case: CaseRecord } | { created: false; caseId: number }
  > {
    const id = await this.next(CASE_SEQUENCE_KEY);
    const claimed = await this.claim(input.alertId, id);
    if (claimed !== id) return { created: false, caseId: claimed };
    const record: CaseRecord = {
      id,
      subject: input.subject,
      status: 'open',
      assignee: input.user,
      createdAt: input.at,
      createdBy: input.user,
      updatedAt: input.at,
      alertIds: [input.alertId],
    };
    await this.client.send(new PutCommand({ TableName: this.table, Item: toItem(record) }));
    return { created: true, case: record };
  }

  async addAlert(caseId: number, alertId: number, at: string): Promise<{ status: 'added' | 'in_case'; caseId: number } | { status: 'not_found' }> {
    if (!(await this.getCase(caseId))) return { status: 'not_found' };
    const claimed = await this.claim(alertId, caseId);
    if (claimed !== caseId) return { status: 'in_case', caseId: claimed };
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: caseKey(caseId),
          UpdateExpression: 'SET alertIds = list_append(alertIds, :a), updatedAt = :at',
          // A retry after a claim that succeeded but whose update was lost adds the id once.
          ConditionExpression: 'attribute_exists(pk) AND NOT contains(alertIds, :id)',
          ExpressionAttributeValues: { ':a': [alertId], ':at': at, ':id': alertId },
        }),
      );
    } catch (e) {
      if (!isConditionalCheckFailed(e)) throw e;
      return { status: 'in_case', caseId };
    }
    return { status: 'added', caseId };
  }

  async getCase(id: number): Promise<CaseRecord | undefined> {
    const got = await this.client.send(new GetCommand({ TableName: this.table, Key: caseKey(id), ConsistentRead: true }));
    return got.Item ? fromItem(got.Item) : undefined;
  }

  async caseOfAlert(alertId: number): Promise<number | undefined> {
    const caseId = await this.claimOf(alertId);
    if (caseId === undefined) return undefined;
    return (await this.getCase(caseId))?.alertIds.includes(alertId) ? caseId : undefined;
  }

  async listCases(q: CaseQuery): Promise<CaseRecord[]> {
    const filters: string[] = [];
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ':pk': CASES_PK };
    if (q.status !== undefined) {
      names['#status'] = 'status';
      const wanted = q.status === 'active' ? ACTIVE_STATUSES : [q.status];
      filters.push(`#status IN (${wanted.map((_, i) => `:s${i}`).join(', ')})`);
      wanted.forEach((s, i) => (values[`:s${i}`] = s));
    }
    if (q.subject) {
      filters.push('subjectKind = :kind AND subject = :subject');
      values[':kind'] = q.subject.kind;
      values[':subject'] = q.subject.value;
    }
    let key = 'pk = :pk';
    if (q.afterId !== undefined) {
      key += ' AND sk < :after';
      values[':after'] = `case#${pad(q.afterId)}`;
    }
    const out: CaseRecord[] = [];
    await queryPages(
      this.client,
      {
        TableName: this.table,
        KeyConditionExpression: key,
        ...(filters.length > 0 ? { FilterExpression: filters.join(' AND ') } : {}),
        ...(Object.keys(names).length > 0 ? { ExpressionAttributeNames: names } : {}),
        ExpressionAttributeValues: values,
        ScanIndexForward: false,
        ConsistentRead: true,
      },
      (items) => {
        for (const item of items) if (out.length < q.limit) out.push(fromItem(item));
        return out.length < q.limit;
      },
    );
    return out;
  }

  async updateCase(id: number, change: CaseChange, at: string, ifStatus?: readonly CaseStatus[]): Promise<CaseUpdate> {
    const sets = ['updatedAt = :at'];
    const removes: string[] = [];
    const values: Record<string, unknown> = { ':at': at };
    if (change.status !== undefined) {
      sets.push('#status = :status');
      values[':status'] = change.status;
    }
    if (change.assignee === null) removes.push('assignee');
    else if (change.assignee !== undefined) {
      sets.push('assignee = :assignee');
      values[':assignee'] = change.assignee;
    }
    let condition = 'attribute_exists(pk)';
    if (ifStatus) {
      condition += ` AND #status IN (${ifStatus.map((_, i) => `:if${i}`).join(', ')})`;
      ifStatus.forEach((s, i) => (values[`:if${i}`] = s));
    }
    try {
      const res = await this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: caseKey(id),
          UpdateExpression: `SET ${sets.join(', ')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`,
          ConditionExpression: condition,
          // Named only where used: DynamoDB refuses an unused name.
          ...(change.status !== undefined || ifStatus ? { ExpressionAttributeNames: { '#status': 'status' } } : {}),
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { status: 'updated', case: fromItem(res.Attributes ?? {}) };
    } catch (e) {
      if (!isConditionalCheckFailed(e)) throw e;
    }
    const current = await this.getCase(id);
    return current ? { status: 'stale', case: current } : { status: 'not_found' };
  }

  async assignAlert(alertId: number, user: string | null, at: string): Promise<void> {
    const Key = { pk: `assign#${alertId}`, sk: 'alert' };
    if (user === null) await this.client.send(new DeleteCommand({ TableName: this.table, Key }));
    else await this.client.send(new PutCommand({ TableName: this.table, Item: { ...Key, user, at } }));
  }

  async alertAssignee(alertId: number): Promise<{ user: string; at: string } | undefined> {
    const got = await this.client.send(
      new GetCommand({ TableName: this.table, Key: { pk: `assign#${alertId}`, sk: 'alert' }, ConsistentRead: true }),
    );
    const item = got.Item as { user: string; at: string } | undefined;
    return item ? { user: item.user, at: item.at } : undefined;
  }

  async appendEvent(e: CaseEvent): Promise<void> {
    const pk = eventsPk(e);
    const n = await this.next({ pk, sk: 'seq' });
    await this.client.send(
      new PutCommand({
        TableName: this.table,
        Item: { pk, sk: `e#${pad(n)}`, at: e.at, user: e.user, action: e.action, caseId: e.caseId, alertId: e.alertId, detail: e.detail },
      }),
    );
  }

  async caseEvents(caseId: number): Promise<CaseEvent[]> {
    return this.events(`events#case#${caseId}`);
  }

  async alertEvents(alertId: number): Promise<CaseEvent[]> {
    return this.events(`events#alert#${alertId}`);
  }

  private async events(pk: string): Promise<CaseEvent[]> {
    const out: CaseEvent[] = [];
    await queryPages(
      this.client,
      {
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :e)',
        ExpressionAttributeValues: { ':pk': pk, ':e': 'e#' },
        ConsistentRead: true,
      },
      (items) => {
        for (const i of items) {
          out.push({
            at: i.at as string,
            user: i.user as string,
            action: i.action as CaseEvent['action'],
            caseId: (i.caseId as number | null | undefined) ?? null,
            alertId: (i.alertId as number | null | undefined) ?? null,
            detail: i.detail as string,
          });
        }
        return true;
      },
    );
    return out;
  }

  /** The next number of a counter item (atomic `ADD`). */
  private async next(key: { pk: string; sk: string }): Promise<number> {
    const res = await this.client.send(
      new UpdateCommand({
        TableName: this.table,
        Key: key,
        UpdateExpression: 'ADD #v :one',
        ExpressionAttributeNames: { '#v': 'value' },
        ExpressionAttributeValues: { ':one': 1 },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return res.Attributes?.value as number;
  }

  private async claimOf(alertId: number): Promise<number | undefined> {
    const got = await this.client.send(
      new GetCommand({ TableName: this.table, Key: { pk: `case-alert#${alertId}`, sk: 'case' }, ConsistentRead: true }),
    );
    return got.Item?.caseId as number | undefined;
  }

  /**
   * Claims an alert for `caseId`; returns the case that holds it then (`caseId` when claimed). A
   * claim for a case that was never written, or never got the alert, is taken over.
   */
  private async claim(alertId: number, caseId: number): Promise<number> {
    const Key = { pk: `case-alert#${alertId}`, sk: 'case' };
    for (;;) {
      try {
        await this.client.send(
          new PutCommand({ TableName: this.table, Item: { ...Key, caseId }, ConditionExpression: 'attribute_not_exists(pk)' }),
        );
        return caseId;
      } catch (e) {
        if (!isConditionalCheckFailed(e)) throw e;
      }
      const held = await this.claimOf(alertId);
      if (held === undefined) continue;
      if (held === caseId) return caseId;
      const holder = await this.getCase(held);
      if (holder?.alertIds.includes(alertId)) return held;
      // A claim left behind: taken over only if it still names that case (a rival may be quicker).
      try {
        await this.client.send(
          new PutCommand({
            TableName: this.table,
            Item: { ...Key, caseId },
            ConditionExpression: 'caseId = :held',
            ExpressionAttributeValues: { ':held': held },
          }),
        );
        return caseId;
      } catch (e) {
        if (!isConditionalCheckFailed(e)) throw e;
      }
    }
  }
}

function caseKey(id: number): { pk: string; sk: string } {
  return { pk: CASES_PK, sk: `case#${pad(id)}` };
}

function eventsPk(e: CaseEvent): string {
  return e.caseId !== null ? `events#case#${e.caseId}` : `events#alert#${e.alertId ?? 0}`;
}

function toItem(c: CaseRecord): Item {
  return {
    ...caseKey(c.id),
    id: c.id,
    subjectKind: c.subject.kind,
    subject: c.subject.value,
    status: c.status,
    ...(c.assignee !== null ? { assignee: c.assignee } : {}),
    createdAt: c.createdAt,
    createdBy: c.createdBy,
    updatedAt: c.updatedAt,
    alertIds: c.alertIds,
  };
}

function fromItem(i: Item): CaseRecord {
  return {
    id: i.id as number,
    subject: { kind: i.subjectKind as CaseSubject['kind'], value: i.subject as string },
    status: i.status as CaseStatus,
    assignee: (i.assignee as string | undefined) ?? null,
    createdAt: i.createdAt as string,
    createdBy: i.createdBy as string,
    updatedAt: i.updatedAt as string,
    alertIds: [...((i.alertIds as number[] | undefined) ?? [])].sort((a, b) => a - b),
  };
}
