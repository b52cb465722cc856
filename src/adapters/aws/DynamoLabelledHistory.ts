import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { AMOUNT_SCALE } from '../../core/decimal.js';
import type { Label, Transaction } from '../../core/transaction.js';
import type { TransactionView } from '../../core/views.js';
import type { LabelledHistory, LabelledTransaction } from '../../ports/LabelledHistory.js';
import { batchGetAll, defaultDocumentClient, type Item, mapLimit } from './DynamoSupport.js';

/** Options of {@link DynamoLabelledHistory}. */
export interface DynamoLabelledHistoryOptions {
  /** Document client (created once per process by the wiring). @default a client for the Lambda environment */
  client?: DynamoDBDocumentClient;
  /** Physical name of the `decisions` table (`TABLES.decisions`). */
  decisionsTable: string;
  /** Physical name of the `state` table (`TABLES.state`): the reported labels. */
  stateTable: string;
  /** Parallel Scan segments, each read by its own sequence of calls. @default 4 */
  segments?: number;
}

/** One decisions-table item as the Scan projects it. */
interface Scanned {
  id: string;
  decidedAt: string;
  transaction: TransactionView;
}

/**
 * The stored transactions with their labels on AWS, for a backtest: the newest `limit` by the
 * time they were decided, replayed in that order (ties by the transaction's own time, then id).
 *
 * The decisions table is keyed by transaction id only and has no index by time (one would cost
 * a write unit per transaction on the scoring path; its `alerts` index holds alerts only, and a
 * backtest needs the allowed transactions too). So this reads the whole table once with a
 * parallel Scan that projects the decision time and the masked transaction, keeping only the
 * newest `limit` in memory, then reads the reported labels of those that did not arrive
 * labelled (`label#<id>` on the state table, 100 keys per BatchGetItem). A Scan is billed on
 * the items' whole size whatever it projects: a backtest reads the table once, about half a read
 * unit per 4 KB. It is a rare action of a signed-in user, never on the scoring path.
 *
 * @example
 * const labelled = new DynamoLabelledHistory({ client: clients.dynamo, decisionsTable, stateTable });
 * for await (const { transaction, label } of labelled.labelledHistory(50_000)) tally(transaction, label);
 */
export class DynamoLabelledHistory implements LabelledHistory {
  private readonly client: DynamoDBDocumentClient;
  private readonly decisionsTable: string;
  private readonly stateTable: string;
  private readonly segments: number;

  constructor(options: DynamoLabelledHistoryOptions) {
    this.client = options.client ?? defaultDocumentClient();
    this.decisionsTable = options.decisionsTable;
    this.stateTable = options.stateTable;
    this.segments = Math.max(1, options.segments ?? 4);
  }

  async *labelledHistory(limit: number): AsyncGenerator<LabelledTransaction> {
    if (!(limit > 0)) return;
    const newest = await this.newest(limit);
    const unlabelled = newest.filter((s) => s.transaction.label === undefined).map((s) => ({ pk: `label#${s.id}`, sk: 'label' }));
    const reported = new Map<string, Label>();
    for (const it of await batchGetAll(this.client, this.stateTable, unlabelled, { projection: 'pk, #l', names: { '#l': 'label' }, concurrency: 8 })) {
      reported.set((it.pk as string).slice('label#'.length), it.label as Label);
    }
    for (const s of newest) {
      const transaction = fromView(s.transaction);
      const label = transaction.label ?? reported.get(s.id);
      yield label === undefined ? { transaction } : { transaction, label };
    }
  }

  /** The newest `limit` decided transactions, oldest first. */
  private async newest(limit: number): Promise<Scanned[]> {
    // Kept in one array trimmed to the newest `limit` whenever it doubles: memory stays within
    // twice the limit whatever the table holds, and sorting stays O(n log limit) overall.
    let kept: Scanned[] = [];
    const trim = (): void => {
      kept.sort(newestFirst);
      kept = kept.slice(0, limit);
    };
    await mapLimit(
      Array.from({ length: this.segments }, (_, i) => i),
      this.segments,
      async (segment) => {
        let start: Item | undefined;
        do {
          const res = await this.client.send(
            new ScanCommand({
              TableName: this.decisionsTable,
              Segment: segment,
              TotalSegments: this.segments,
              ProjectionExpression: '#id, #at, #tx',
              ExpressionAttributeNames: { '#id': 'id', '#at': 'decidedAt', '#tx': 'transaction' },
              ...(start ? { ExclusiveStartKey: start } : {}),
            }),
          );
          for (const it of res.Items ?? []) kept.push(it as unknown as Scanned);
          if (kept.length >= 2 * limit) trim();
          start = res.LastEvaluatedKey;
        } while (start);
      },
    );
    trim();
    return kept.reverse();
  }
}

/** Newest decided first; ties by the transaction's time, then its id, both newest first. */
function newestFirst(a: Scanned, b: Scanned): number {
  if (a.decidedAt !== b.decidedAt) return a.decidedAt < b.decidedAt ? 1 : -1;
  const ta = Date.parse(a.transaction.timestamp);
  const tb = Date.parse(b.transaction.timestamp);
  if (ta !== tb) return tb - ta;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/** The stored (masked) view back as the {@link Transaction} scoring saw, every field the features and rules read. */
function fromView(v: TransactionView): Transaction {
  const tx: Transaction = {
    transactionId: v.transaction_id,
    timestamp: Date.parse(v.timestamp),
    accountId: v.account_id,
    amount: Math.round(v.amount * AMOUNT_SCALE),
    currency: v.currency,
    attributes: { ...(v.attributes ?? {}) },
  };
  if (v.card) tx.card = { ...v.card };
  if (v.merchant !== undefined) tx.merchant = v.merchant;
  if (v.merchant_category !== undefined) tx.merchantCategory = v.merchant_category;
  if (v.terminal_id !== undefined) tx.terminalId = v.terminal_id;
  if (v.country !== undefined) tx.country = v.country;
  if (v.origin_country !== undefined) tx.originCountry = v.origin_country;
  if (v.destination_country !== undefined) tx.destinationCountry = v.destination_country;
  if (v.account_balance !== undefined) tx.accountBalance = Math.round(v.account_balance * AMOUNT_SCALE);
  if (v.channel !== undefined) tx.channel = v.channel;
  if (v.device_id !== undefined) tx.deviceId = v.device_id;
  if (v.ip !== undefined) tx.ip = v.ip;
  if (v.label !== undefined) tx.label = v.label;
  return tx;
}
