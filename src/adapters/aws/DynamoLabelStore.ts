import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Label } from '../../core/transaction.js';
import type { LabelStore } from '../../ports/LabelStore.js';
import { defaultDocumentClient, isConditionalCheckFailed } from './DynamoSupport.js';

/** Options of {@link DynamoLabelStore}. */
export interface DynamoLabelStoreOptions {
  client?: DynamoDBDocumentClient;
  /** Physical name of the `state` table. */
  stateTable: string;
}

/**
 * Known outcomes on the state table, one item per transaction (`pk=label#<id>, sk=label`, so
 * labels spread over partitions). The first label wins (conditional put); a later one is
 * `unchanged` when it agrees and a `conflict` when it does not — never a silent change.
 */
export class DynamoLabelStore implements LabelStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly table: string;

  constructor(options: DynamoLabelStoreOptions) {
    this.client = options.client ?? defaultDocumentClient();
    this.table = options.stateTable;
  }

  async putLabel(
    id: string,
    label: Label,
    knownAt: number,
  ): Promise<{ status: 'recorded' | 'unchanged' | 'conflict'; label: Label; knownAt: number }> {
    const key = { pk: `label#${id}`, sk: 'label' };
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...key, label, knownAt },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return { status: 'recorded', label, knownAt };
    } catch (e) {
      if (!isConditionalCheckFailed(e)) throw e;
    }
    const got = await this.client.send(new GetCommand({ TableName: this.table, Key: key, ConsistentRead: true }));
    const stored = got.Item as { label: Label; knownAt: number } | undefined;
    if (!stored) throw new Error(`label of ${id} vanished between its write and its read`);
    return { status: stored.label === label ? 'unchanged' : 'conflict', label: stored.label, knownAt: stored.knownAt };
  }

  async getLabel(id: string): Promise<{ label: Label; knownAt: number } | undefined> {
    const got = await this.client.send(
      new GetCommand({ TableName: this.table, Key: { pk: `label#${id}`, sk: 'label' }, ConsistentRead: true }),
    );
    const stored = got.Item as { label: Label; knownAt: number } | undefined;
    return stored ? { label: stored.label, knownAt: stored.knownAt } : undefined;
  }
}
