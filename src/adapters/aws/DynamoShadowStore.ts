import { createHash } from 'node:crypto';
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Outcome } from '../../core/scoring.js';
import type { ShadowDecision, ShadowDecisionStore, ShadowTally, ShadowVersion } from '../../ports/ShadowDecisionStore.js';
import { batchGetAll, defaultDocumentClient, isConditionalCheckFailed, type Item, mapLimit, queryPages } from './DynamoSupport.js';

/** Options of {@link DynamoShadowStore}. */
export interface DynamoShadowStoreOptions {
  /** Document client (created once per process by the wiring). @default a client for the Lambda environment */
  client?: DynamoDBDocumentClient;
  /** Physical name of the `state` table: the shadow decisions and the labels reported later live there. */
  stateTable: string;
  /** Physical name of the `decisions` table: the decisions in force they are compared with. */
  decisionsTable: string;
  /** Requests in flight at once. @default 16 */
  concurrency?: number;
}

/**
 * Partitions a challenger's decisions are spread over, by a hash of the transaction id: one
 * partition takes about 1,000 writes a second, which a busy scorer outgrows; a comparison then
 * queries them all.
 */
export const SHADOW_SHARDS = 16;

/** The state table item that names the challenger whose decision was stored last. */
export const LATEST_SHADOW_KEY = { pk: 'shadow', sk: 'latest' } as const;

/**
 * Shadow decisions on DynamoDB, an item family of the state table (no table of their own: a
 * challenger runs for a while, then is promoted or dropped, and its decisions are small):
 *
 * `pk = shadow#<shard 00–15>#["<rules version>","<model version>"|null], sk = <transaction id>`,
 * `{ ts, score, outcome, modelScore, rules, rulesVersion, modelVersion, decidedAt }`
 *
 * Only the challenger's side is kept, and no card data (the id is masked, as every stored id).
 * A comparison joins it, by id, with the decision in force (decisions table: its outcome and the
 * label the transaction arrived with) and the label reported since (state table, `label#<id>`),
 * as the SQLite store joins its tables. Each decision is a conditional put: the first one of a
 * transaction stands.
 *
 * @example
 * const shadow = new DynamoShadowStore({ client, stateTable, decisionsTable });
 * await shadow.storeShadowDecisions(decisions);
 * const tallies = await shadow.shadowTallies((await shadow.latestShadowVersion())!);
 */
export class DynamoShadowStore implements ShadowDecisionStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly stateTable: string;
  private readonly decisionsTable: string;
  private readonly concurrency: number;

  constructor(options: DynamoShadowStoreOptions) {
    this.client = options.client ?? defaultDocumentClient();
    this.stateTable = options.stateTable;
    this.decisionsTable = options.decisionsTable;
    this.concurrency = options.concurrency ?? 16;
  }

  async storeShadowDecisions(decisions: readonly ShadowDecision[]): Promise<void> {
    if (decisions.length === 0) return;
    await mapLimit(decisions, this.concurrency, async (d) => {
      try {
        await this.client.send(
          new PutCommand({
            TableName: this.stateTable,
            Item: {
              pk: partition(d, shardOf(d.transactionId)),
              sk: d.transactionId,
              ts: d.timestamp,
              score: d.score,
              outcome: d.outcome,
              modelScore: d.modelScore,
              rules: d.rules,
              rulesVersion: d.rulesVersion,
              modelVersion: d.modelVersion,
              decidedAt: d.decidedAt,
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
      } catch (e) {
        if (!isConditionalCheckFailed(e)) throw e;
      }
    });
    const last = decisions[decisions.length - 1] as ShadowDecision;
    await this.client.send(
      new PutCommand({
        TableName: this.stateTable,
        Item: { ...LATEST_SHADOW_KEY, rulesVersion: last.rulesVersion, modelVersion: last.modelVersion, storedAt: new Date().toISOString() },
      }),
    );
  }

  async latestShadowVersion(): Promise<ShadowVersion | undefined> {
    const got = await this.client.send(new GetCommand({ TableName: this.stateTable, Key: LATEST_SHADOW_KEY, ConsistentRead: true }));
    const item = got.Item;
    return item && { rulesVersion: item.rulesVersion as string, modelVersion: (item.modelVersion as string | null) ?? null };
  }

  async shadowTallies(version: ShadowVersion): Promise<ShadowTally[]> {
    const shadow = new Map<string, Outcome>();
    await mapLimit(
      Array.from({ length: SHADOW_SHARDS }, (_, i) => i),
      4,
      (shard) =>
        queryPages(
          this.client,
          {
            TableName: this.stateTable,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': partition(version, shard) },
            ExpressionAttributeNames: { '#o': 'outcome' },
            ProjectionExpression: 'sk, #o',
          },
          (items) => {
            for (const it of items) shadow.set(it.sk as string, it.outcome as Outcome);
            return true;
          },
        ),
    );
    if (shadow.size === 0) return [];
    const ids = [...shadow.keys()];
    const inForce = await batchGetAll(
      this.client,
      this.decisionsTable,
      ids.map((id) => ({ id })),
      { projection: '#id, #d.#o, #t.#l', names: { '#id': 'id', '#d': 'decision', '#o': 'outcome', '#t': 'transaction', '#l': 'label' }, concurrency: this.concurrency },
    );
    const primary = new Map<string, { outcome: Outcome; label: 0 | 1 | null }>();
    for (const it of inForce) {
      const label = (it.transaction as Item | undefined)?.label;
      primary.set(it.id as string, { outcome: (it.decision as Item).outcome as Outcome, label: label === 0 || label === 1 ? label : null });
    }
    // The label in force: the one the transaction arrived with, else one reported since.
    const unlabelled = [...primary.entries()].filter(([, p]) => p.label === null).map(([id]) => id);
    const reported = await batchGetAll(
      this.client,
      this.stateTable,
      unlabelled.map((id) => ({ pk: `label#${id}`, sk: 'label' })),
      { projection: 'pk, #l', names: { '#l': 'label' }, concurrency: this.concurrency },
    );
    for (const it of reported) {
      const p = primary.get((it.pk as string).slice('label#'.length));
      if (p && (it.label === 0 || it.label === 1)) p.label = it.label;
    }
    const counts = new Map<string, ShadowTally>();
    for (const [id, s] of shadow) {
      const p = primary.get(id);
      if (!p) continue; // no decision in force (cannot happen: shadow decisions follow stored ones)
      const key = `${p.outcome}|${s}|${p.label}`;
      const tally = counts.get(key);
      if (tally) tally.rows++;
      else counts.set(key, { primary: p.outcome, shadow: s, label: p.label, rows: 1 });
    }
    return [...counts.values()];
  }
}

/** The shard of a transaction id: stable, spread evenly. */
function shardOf(id: string): number {
  return createHash('sha1').update(id).digest().readUInt32BE(0) % SHADOW_SHARDS;
}

/** The partition key of a challenger's shard (the versions JSON-encoded, so no two challengers share one). */
function partition(v: ShadowVersion, shard: number): string {
  return `shadow#${String(shard).padStart(2, '0')}#${JSON.stringify([v.rulesVersion, v.modelVersion])}`;
}
