import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Label } from '../../core/transaction.js';
import { transactionFromView, type TransactionView } from '../../core/views.js';
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
      const transaction = transactionFromView(s.transaction);
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

