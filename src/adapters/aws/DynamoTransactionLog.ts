import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Transaction } from '../../core/transaction.js';
import type { TransactionLog } from '../../ports/TransactionLog.js';
import { defaultDocumentClient, isConditionalCheckFailed } from './DynamoSupport.js';

/** Options of {@link DynamoTransactionLog}. */
export interface DynamoTransactionLogOptions {
  /** Document client (created once per process by the wiring). @default a client for the Lambda environment */
  client?: DynamoDBDocumentClient;
  /** Physical name of the `transactions` table (`TABLES.transactions`). */
  transactionsTable: string;
  /** Clock for `storedAt`. @default Date.now */
  now?: () => number;
}

/**
 * Transactions accepted but not yet scored, on the `transactions` table: one item per id,
 * `{ id, tx, storedAt }`, where `tx` is the tokenised {@link Transaction} itself (card token,
 * BIN and last 4 only — never a PAN) and `storedAt` is ISO 8601. The put is conditional on the
 * id, so a repeated POST neither overwrites the first copy nor emits a second stream record.
 *
 * @example
 * const log = new DynamoTransactionLog({ client: clients.dynamo, transactionsTable });
 * if (await log.putTransaction(tx)) { ... } // new: the table stream will score it
 */
export class DynamoTransactionLog implements TransactionLog {
  private readonly client: DynamoDBDocumentClient;
  private readonly table: string;
  private readonly now: () => number;

  constructor(options: DynamoTransactionLogOptions) {
    this.client = options.client ?? defaultDocumentClient();
    this.table = options.transactionsTable;
    this.now = options.now ?? Date.now;
  }

  async putTransaction(tx: Transaction): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.table,
          Item: { id: tx.transactionId, tx, storedAt: new Date(this.now()).toISOString() },
          ConditionExpression: 'attribute_not_exists(id)',
        }),
      );
      return true;
    } catch (e) {
      if (isConditionalCheckFailed(e)) return false;
      throw e;
    }
  }
}
