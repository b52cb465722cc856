/**
 * The few DynamoDB access patterns every Dynamo adapter shares: batch writes and gets that
 * retry what DynamoDB leaves unprocessed, paginated queries, and bounded concurrency. Several
 * small functions in one module (not one export per file) because they are one toolkit and
 * only the `Dynamo*` adapters use them.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DynamoDBDocumentClient,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { DynamoRetryExhaustedError } from './DynamoErrors.js';

/** A document-client item. */
export type Item = Record<string, unknown>;

/** BatchWriteItem takes at most 25 requests per call. */
export const BATCH_WRITE_LIMIT = 25;
/** BatchGetItem takes at most 100 keys per call. */
export const BATCH_GET_LIMIT = 100;
/** Unprocessed items/keys are retried this many times (with backoff) before giving up. */
const MAX_ATTEMPTS = 12;

/** The document client used when an adapter is not given one (same marshalling as `createAwsClients`). */
export function defaultDocumentClient(): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
}

/** Exponential backoff with full jitter: 25 ms, 50 ms, … capped at 2 s. */
export function backoff(attempt: number): Promise<void> {
  const cap = Math.min(2_000, 25 * 2 ** attempt);
  return new Promise((resolve) => setTimeout(resolve, Math.random() * cap));
}

/** Runs `fn` over `items` with at most `limit` calls in flight; results in input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  return out;
}

/** Splits `items` into chunks of at most `size`. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** True when a write failed on its condition (a duplicate for conditional puts). */
export function isConditionalCheckFailed(e: unknown): boolean {
  return e instanceof Error && e.name === 'ConditionalCheckFailedException';
}

/**
 * Puts every item into `table`, 25 per BatchWriteItem, `concurrency` calls in flight, retrying
 * `UnprocessedItems` with backoff. BatchWriteItem has no conditions: use it for writes that are
 * idempotent by key.
 */
export async function batchPutAll(
  client: DynamoDBDocumentClient,
  table: string,
  items: readonly Item[],
  concurrency = 4,
): Promise<void> {
  await mapLimit(chunks(items, BATCH_WRITE_LIMIT), concurrency, async (chunk) => {
    let requests = chunk.map((Item) => ({ PutRequest: { Item } }));
    for (let attempt = 0; requests.length > 0; attempt++) {
      if (attempt >= MAX_ATTEMPTS) throw new DynamoRetryExhaustedError('BatchWriteItem', table, requests.length);
      if (attempt > 0) await backoff(attempt);
      const res = await client.send(new BatchWriteCommand({ RequestItems: { [table]: requests } }));
      requests = (res.UnprocessedItems?.[table] ?? []).flatMap((r) => (r.PutRequest?.Item ? [{ PutRequest: { Item: r.PutRequest.Item } }] : []));
    }
  });
}

/**
 * Gets items by key from `table`, 100 keys per BatchGetItem, retrying `UnprocessedKeys` with
 * backoff. Keys must be distinct (DynamoDB rejects a call with a repeated key). Missing items are
 * simply absent from the result, which is in no particular order.
 */
export async function batchGetAll(
  client: DynamoDBDocumentClient,
  table: string,
  keys: readonly Item[],
  options: { projection?: string; names?: Record<string, string>; concurrency?: number } = {},
): Promise<Item[]> {
  const pages = await mapLimit(chunks(keys, BATCH_GET_LIMIT), options.concurrency ?? 4, async (chunk) => {
    const found: Item[] = [];
    let pending: Item[] = chunk;
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt >= MAX_ATTEMPTS) throw new DynamoRetryExhaustedError('BatchGetItem', table, pending.length);
      if (attempt > 0) await backoff(attempt);
      const res = await client.send(
        new BatchGetCommand({
          RequestItems: {
            [table]: {
              Keys: pending,
              ...(options.projection ? { ProjectionExpression: options.projection } : {}),
              ...(options.names ? { ExpressionAttributeNames: options.names } : {}),
            },
          },
        }),
      );
      found.push(...(res.Responses?.[table] ?? []));
      pending = res.UnprocessedKeys?.[table]?.Keys ?? [];
    }
    return found;
  });
  return pages.flat();
}

/**
 * Runs a query page by page (`LastEvaluatedKey`), calling `onPage` for each page until it
 * returns false or the pages run out.
 */
export async function queryPages(
  client: DynamoDBDocumentClient,
  input: QueryCommandInput,
  onPage: (items: Item[]) => boolean,
): Promise<void> {
  let start: Item | undefined;
  do {
    const res = await client.send(new QueryCommand({ ...input, ...(start ? { ExclusiveStartKey: start } : {}) }));
    if (onPage(res.Items ?? []) === false) return;
    start = res.LastEvaluatedKey;
  } while (start);
}
