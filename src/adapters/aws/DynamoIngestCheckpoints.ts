import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { IngestCheckpoint, IngestCheckpoints } from '../../ports/IngestCheckpoints.js';
import { RECEIPT_REJECTION_LIMIT, type Rejection } from '../../core/receipt.js';
import { defaultDocumentClient, type Item, mapLimit, queryPages } from './DynamoSupport.js';

/** Options of {@link DynamoIngestCheckpoints}. */
export interface DynamoIngestCheckpointsOptions {
  /** Document client (created once per process by the wiring). @default a client for the Lambda environment */
  client?: DynamoDBDocumentClient;
  /** Physical name of the `state` table (`TABLES.state`). */
  stateTable: string;
  /**
   * Most bytes of rejections (as JSON) per chunk item. DynamoDB items stop at 400 KB.
   * @default 256 KiB
   */
  chunkBytes?: number;
}

const MAX_ERROR_CHARS = 4_000;
/** A single rejection is cut to this many characters of reason if it alone would overflow a chunk. */
const MAX_REASON_CHARS = 1_000;

/**
 * Ingest checkpoints on the state table, under `pk=file#<bucket/key>`:
 *
 * - `sk=<etag>`: the checkpoint without its rejections — `{ file, etag, status, rowsDone, counts,
 *   messages, startedAt, error?, rejectionChunks, rejectionCount }`;
 * - `sk=<etag>#rejections#<0000>`: the rejections, as JSON text (`data`) in chunks of at most
 *   `chunkBytes`, so a file with up to `RECEIPT_REJECTION_LIMIT` (10,000) rejections — which the
 *   receipt lists — never makes an item near the 400 KB limit.
 *
 * `get` is one Query (the checkpoint and its chunks share the partition and the sort-key prefix).
 * `put` is plain PutItem, last writer wins (one ingest runs per file at a time): changed chunks
 * first, then the checkpoint, so a checkpoint never points at chunks not yet written. Rejections
 * only grow during an ingest, so this instance re-writes only the chunks that changed since its
 * last put of the same file.
 *
 * @example
 * const checkpoints = new DynamoIngestCheckpoints({ client: clients.dynamo, stateTable });
 * const resume = await checkpoints.get('raw/inbox/a.csv', etag);
 */
export class DynamoIngestCheckpoints implements IngestCheckpoints {
  private readonly client: DynamoDBDocumentClient;
  private readonly table: string;
  private readonly chunkBytes: number;
  /** Chunk texts this instance last wrote, per file and etag. */
  private readonly written = new Map<string, string[]>();

  constructor(options: DynamoIngestCheckpointsOptions) {
    this.client = options.client ?? defaultDocumentClient();
    this.table = options.stateTable;
    this.chunkBytes = options.chunkBytes ?? 256 * 1024;
  }

  async get(file: string, etag: string): Promise<IngestCheckpoint | undefined> {
    // A resume may follow another container's writes: trust the table, not what this one wrote.
    this.written.delete(`${file}\u0000${etag}`);
    let main: Item | undefined;
    const chunks = new Map<string, string>();
    await queryPages(
      this.client,
      {
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :etag)',
        ExpressionAttributeValues: { ':pk': `file#${file}`, ':etag': etag },
        ConsistentRead: true,
      },
      (items) => {
        for (const it of items) {
          if (it.sk === etag) main = it;
          else if (typeof it.sk === 'string' && it.sk.startsWith(`${etag}#rejections#`)) chunks.set(it.sk, it.data as string);
        }
        return true;
      },
    );
    if (!main) return undefined;
    const rejections: Rejection[] = [];
    for (let i = 0; i < (main.rejectionChunks as number); i++) {
      const text = chunks.get(chunkKey(etag, i));
      if (text !== undefined) rejections.push(...(JSON.parse(text) as Rejection[]));
    }
    const cp: IngestCheckpoint = {
      file: main.file as string,
      etag: main.etag as string,
      status: main.status as IngestCheckpoint['status'],
      rowsDone: main.rowsDone as number,
      counts: main.counts as IngestCheckpoint['counts'],
      messages: main.messages as number,
      rejections,
      startedAt: main.startedAt as string,
    };
    if (typeof main.error === 'string') cp.error = main.error;
    return cp;
  }

  async put(checkpoint: IngestCheckpoint): Promise<void> {
    const pk = `file#${checkpoint.file}`;
    const texts = this.split(checkpoint.rejections.slice(0, RECEIPT_REJECTION_LIMIT));
    const cacheKey = `${checkpoint.file}\u0000${checkpoint.etag}`;
    const before = this.written.get(cacheKey) ?? [];
    const changed = texts.flatMap((text, i) => (before[i] === text ? [] : [i]));
    await mapLimit(changed, 4, (i) =>
      this.client.send(
        new PutCommand({
          TableName: this.table,
          Item: { pk, sk: chunkKey(checkpoint.etag, i), data: texts[i] },
        }),
      ),
    );
    const item: Item = {
      pk,
      sk: checkpoint.etag,
      file: checkpoint.file,
      etag: checkpoint.etag,
      status: checkpoint.status,
      rowsDone: checkpoint.rowsDone,
      counts: checkpoint.counts,
      messages: checkpoint.messages,
      startedAt: checkpoint.startedAt,
      rejectionChunks: texts.length,
      rejectionCount: checkpoint.rejections.length,
      updatedAt: new Date().toISOString(),
    };
    if (checkpoint.error !== undefined) item.error = checkpoint.error.slice(0, MAX_ERROR_CHARS);
    await this.client.send(new PutCommand({ TableName: this.table, Item: item }));
    this.written.set(cacheKey, texts);
  }

  /** The rejections as JSON arrays of at most `chunkBytes` each, in order. */
  private split(rejections: readonly Rejection[]): string[] {
    const out: string[] = [];
    let parts: string[] = [];
    let bytes = 2;
    for (const r of rejections) {
      let json = JSON.stringify(r);
      if (Buffer.byteLength(json) + 2 > this.chunkBytes) {
        json = JSON.stringify({ row: r.row, line: r.line, column: r.column, reason: r.reason.slice(0, MAX_REASON_CHARS) });
      }
      const size = Buffer.byteLength(json) + 1;
      if (parts.length > 0 && bytes + size > this.chunkBytes) {
        out.push(`[${parts.join(',')}]`);
        parts = [];
        bytes = 2;
      }
      parts.push(json);
      bytes += size;
    }
    if (parts.length > 0) out.push(`[${parts.join(',')}]`);
    return out;
  }
}

function chunkKey(etag: string, i: number): string {
  return `${etag}#rejections#${String(i).padStart(4, '0')}`;
}
