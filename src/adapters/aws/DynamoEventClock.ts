import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { EventClock } from '../../ports/EventClock.js';
import { defaultDocumentClient, isConditionalCheckFailed } from './DynamoSupport.js';

/** Options of {@link DynamoEventClock}. */
export interface DynamoEventClockOptions {
  client?: DynamoDBDocumentClient;
  /** Physical name of the `state` table. */
  stateTable: string;
}

/**
 * The event-time clock on the state table: one item (`pk=clock#events, sk=clock`) holding the
 * latest transaction time scored. Scoring moves it forward once per batch with a conditional
 * update (`latest < :t`), so concurrent batches never move it back; a batch whose time is not
 * later costs one failed condition and changes nothing. Labels read it (a consistent read) to
 * know when they become known.
 */
export class DynamoEventClock implements EventClock {
  private readonly client: DynamoDBDocumentClient;
  private readonly table: string;
  private static readonly KEY = { pk: 'clock#events', sk: 'clock' };

  constructor(options: DynamoEventClockOptions) {
    this.client = options.client ?? defaultDocumentClient();
    this.table = options.stateTable;
  }

  async latest(): Promise<number> {
    const got = await this.client.send(new GetCommand({ TableName: this.table, Key: DynamoEventClock.KEY, ConsistentRead: true }));
    const latest = (got.Item as { latest?: unknown } | undefined)?.latest;
    return typeof latest === 'number' ? latest : -Infinity;
  }

  async advance(t: number): Promise<void> {
    if (!Number.isFinite(t)) return;
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: DynamoEventClock.KEY,
          UpdateExpression: 'SET latest = :t',
          ConditionExpression: 'attribute_not_exists(latest) OR latest < :t',
          ExpressionAttributeValues: { ':t': t },
        }),
      );
    } catch (e) {
      if (!isConditionalCheckFailed(e)) throw e;
    }
  }
}
