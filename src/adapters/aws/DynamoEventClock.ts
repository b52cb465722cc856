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
 * The state-table item that holds the event clock (attribute `latest`) and the decision counters
 * behind `GET /stats` (`DynamoDecisionStore`): one item, so scoring moves the clock and counts its
 * decisions with one write.
 */
export const STATE_ITEM_KEY = { pk: 'stats', sk: 'counters' } as const;

/** Where tables written before the clock joined the counters keep it; still read, never written. */
const LEGACY_CLOCK_KEY = { pk: 'clock#events', sk: 'clock' } as const;

/**
 * The event-time clock on the state table: attribute `latest` of the counters item
 * ({@link STATE_ITEM_KEY}), the latest transaction time scored. Labels read it (a consistent read)
 * to know when they become known.
 *
 * Scoring moves it forward with a conditional update (`latest < :t`), so concurrent batches never
 * move it back, and through {@link advanceAndCount} adds the batch's counters in the same request.
 * A failed condition is still a billed write, so each instance remembers the latest time it has
 * seen on the item (a container-local floor: the item's `latest` only grows) and skips the
 * condition when it would certainly fail: then only the counters are written, with a plain `ADD`.
 * Without that knowledge (a cold container, or traffic older than what another container scored),
 * a batch whose time is not later costs the failed condition and the plain `ADD`: two writes
 * instead of one.
 *
 * @example
 * const clock = new DynamoEventClock({ client: clients.dynamo, stateTable });
 * await clock.advanceAndCount(tx.timestamp, { decisions: 1, allow: 1 }); // one UpdateItem
 * await clock.advance(tx.timestamp); // known to be done: no request
 */
export class DynamoEventClock implements EventClock {
  private readonly client: DynamoDBDocumentClient;
  private readonly table: string;
  /** The item's `latest` is known to be at least this (it never moves back). */
  private floor = Number.NEGATIVE_INFINITY;

  constructor(options: DynamoEventClockOptions) {
    this.client = options.client ?? defaultDocumentClient();
    this.table = options.stateTable;
  }

  async latest(): Promise<number> {
    const read = (key: Record<string, string>) =>
      this.client.send(new GetCommand({ TableName: this.table, Key: key, ConsistentRead: true, ProjectionExpression: 'latest' }));
    const [now, legacy] = await Promise.all([read(STATE_ITEM_KEY), read(LEGACY_CLOCK_KEY)]);
    const value = (item: Record<string, unknown> | undefined): number =>
      typeof item?.latest === 'number' ? item.latest : Number.NEGATIVE_INFINITY;
    const latest = Math.max(value(now.Item), value(legacy.Item));
    this.raise(latest);
    return latest;
  }

  async advance(t: number): Promise<void> {
    await this.advanceAndCount(t, {});
  }

  /**
   * Moves the clock to `t` when `t` is later and adds `counters` to the item's numbers, in one
   * `UpdateItem` when the time moves forward (or is known not to). When the condition fails, the
   * counters still go in, with a second, unconditional `ADD`: none is lost.
   */
  async advanceAndCount(t: number, counters: Readonly<Record<string, number>>): Promise<void> {
    const adds = Object.entries(counters).filter(([, v]) => typeof v === 'number' && v !== 0);
    const names: Record<string, string> = {};
    const values: Record<string, number> = {};
    const parts = adds.map(([k, v], i) => {
      names[`#c${i}`] = k;
      values[`:c${i}`] = v;
      return `#c${i} :c${i}`;
    });
    const add = parts.length > 0 ? `ADD ${parts.join(', ')}` : '';
    if (Number.isFinite(t) && t > this.floor) {
      try {
        await this.client.send(
          new UpdateCommand({
            TableName: this.table,
            Key: STATE_ITEM_KEY,
            UpdateExpression: `${add} SET latest = :t`.trim(),
            ConditionExpression: 'attribute_not_exists(latest) OR latest < :t',
            ...(parts.length > 0 ? { ExpressionAttributeNames: names } : {}),
            ExpressionAttributeValues: { ...values, ':t': t },
          }),
        );
        this.raise(t);
        return;
      } catch (e) {
        if (!isConditionalCheckFailed(e)) throw e;
        // The item already holds `t` or later.
        this.raise(t);
      }
    }
    if (parts.length === 0) return;
    const res = await this.client.send(
      new UpdateCommand({
        TableName: this.table,
        Key: STATE_ITEM_KEY,
        UpdateExpression: add,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        // Free with the write (no read units): what the clock is now, so later conditions that
        // would fail are skipped.
        ReturnValues: 'ALL_NEW',
      }),
    );
    const latest = (res.Attributes as { latest?: unknown } | undefined)?.latest;
    if (typeof latest === 'number') this.raise(latest);
  }

  private raise(t: number): void {
    if (t > this.floor) this.floor = t;
  }
}
