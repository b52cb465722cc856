import { GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { RulesHistory, RulesVersionRecord } from '../../ports/RulesHistory.js';
import { defaultDocumentClient, isConditionalCheckFailed, type Item } from './DynamoSupport.js';

/** Options of {@link DynamoRulesHistory}. */
export interface DynamoRulesHistoryOptions {
  /** Document client (created once per process by the wiring). @default a client for the Lambda environment */
  client?: DynamoDBDocumentClient;
  /** Physical name of the `state` table (`TABLES.state`). */
  stateTable: string;
}

/** Partition of the history: `d#<digest>` (the document, one per content) and `h#<id>` (the list). */
const HISTORY_PK = 'rules-history';
/** The counter that numbers the documents (atomic `ADD`). */
const HISTORY_SEQUENCE_KEY = { pk: 'rules', sk: 'history-sequence' } as const;

/**
 * The history of rules documents on the state table, beside the rules themselves:
 *
 * - `pk=rules-history, sk=d#<digest>`: the document (JSON text), its version, digest, id and
 *   when it was first seen; written once per content (conditional put), so the digest is the
 *   key that keeps a document once;
 * - `pk=rules-history, sk=h#<id, zero-padded>`: its record without the document, so the newest
 *   first is one Query read backwards, and a listing does not read the documents;
 * - ids come from an atomic counter (`pk=rules, sk=history-sequence`): increasing, not dense (an id
 *   taken by a writer that lost a race for the same document is never used).
 *
 * The document item is written before the list item. A writer that stops between the two leaves
 * a document that is not listed; the next `remember` of that document finds it and adds the list
 * item (it checks each time, one read of a small item).
 *
 * @example
 * const history = new DynamoRulesHistory({ client: clients.dynamo, stateTable });
 * const id = await history.remember({ version: 'v2', digest, savedAt: new Date().toISOString(), document });
 */
export class DynamoRulesHistory implements RulesHistory {
  private readonly client: DynamoDBDocumentClient;
  private readonly table: string;

  constructor(options: DynamoRulesHistoryOptions) {
    this.client = options.client ?? defaultDocumentClient();
    this.table = options.stateTable;
  }

  async remember(entry: Omit<RulesVersionRecord, 'id'> & { document: unknown }): Promise<number> {
    const kept = await this.byDigest(entry.digest);
    if (kept) {
      await this.listed(kept);
      return kept.id;
    }
    const seq = await this.client.send(
      new UpdateCommand({
        TableName: this.table,
        Key: HISTORY_SEQUENCE_KEY,
        UpdateExpression: 'ADD #v :one',
        ExpressionAttributeNames: { '#v': 'value' },
        ExpressionAttributeValues: { ':one': 1 },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    const record: RulesVersionRecord = {
      id: seq.Attributes?.value as number,
      version: entry.version,
      digest: entry.digest,
      savedAt: entry.savedAt,
    };
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.table,
          Item: { pk: HISTORY_PK, sk: `d#${entry.digest}`, ...record, document: JSON.stringify(entry.document) },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (e) {
      if (!isConditionalCheckFailed(e)) throw e;
      // Another writer kept the same document first: its id stands.
      const winner = await this.byDigest(entry.digest);
      if (!winner) throw e;
      await this.listed(winner);
      return winner.id;
    }
    await this.listed(record, true);
    return record.id;
  }

  async versions(limit: number): Promise<RulesVersionRecord[]> {
    if (!(limit > 0)) return [];
    const res = await this.client.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :h)',
        ExpressionAttributeValues: { ':pk': HISTORY_PK, ':h': 'h#' },
        ScanIndexForward: false,
        Limit: limit,
        ConsistentRead: true,
      }),
    );
    return (res.Items ?? []).map(recordOf);
  }

  async find(id: number): Promise<(RulesVersionRecord & { document: unknown }) | undefined> {
    if (!Number.isSafeInteger(id) || id < 1) return undefined;
    const listed = await this.client.send(
      new GetCommand({ TableName: this.table, Key: { pk: HISTORY_PK, sk: listKey(id) }, ConsistentRead: true }),
    );
    if (!listed.Item) return undefined;
    const doc = await this.client.send(
      new GetCommand({ TableName: this.table, Key: { pk: HISTORY_PK, sk: `d#${listed.Item.digest as string}` }, ConsistentRead: true }),
    );
    if (!doc.Item) return undefined;
    return { ...recordOf(listed.Item), document: JSON.parse(doc.Item.document as string) as unknown };
  }

  /** The document item of a digest, as its record, or undefined. */
  private async byDigest(digest: string): Promise<RulesVersionRecord | undefined> {
    const res = await this.client.send(
      new GetCommand({
        TableName: this.table,
        Key: { pk: HISTORY_PK, sk: `d#${digest}` },
        ProjectionExpression: '#i, #v, #d, #s',
        ExpressionAttributeNames: { '#i': 'id', '#v': 'version', '#d': 'digest', '#s': 'savedAt' },
        ConsistentRead: true,
      }),
    );
    return res.Item ? recordOf(res.Item) : undefined;
  }

  /** Makes sure the record's list item exists (`known`: it cannot, the id was just taken). */
  private async listed(record: RulesVersionRecord, known = false): Promise<void> {
    const key = { pk: HISTORY_PK, sk: listKey(record.id) };
    if (!known) {
      const got = await this.client.send(new GetCommand({ TableName: this.table, Key: key, ProjectionExpression: 'pk', ConsistentRead: true }));
      if (got.Item) return;
    }
    try {
      await this.client.send(
        new PutCommand({ TableName: this.table, Item: { ...key, ...record }, ConditionExpression: 'attribute_not_exists(pk)' }),
      );
    } catch (e) {
      if (!isConditionalCheckFailed(e)) throw e;
    }
  }
}

function listKey(id: number): string {
  return `h#${String(id).padStart(15, '0')}`;
}

function recordOf(it: Item): RulesVersionRecord {
  return { id: it.id as number, version: it.version as string, digest: it.digest as string, savedAt: it.savedAt as string };
}
