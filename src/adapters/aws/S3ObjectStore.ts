import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  paginateListObjectsV2,
  PutObjectCommand,
  type S3Client,
  type ServerSideEncryption,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import type { ObjectStore } from '../../ports/ObjectStore.js';

/** S3's smallest part (except the last) in a multipart upload. */
const MIN_PART_BYTES = 5 * 1024 * 1024;

/** Options of {@link S3ObjectStore}. */
export interface S3ObjectStoreOptions {
  /**
   * Customer-managed KMS key (id, ARN or alias) for server-side encryption. Without it S3 uses
   * the bucket's default KMS key; either way every write asks for `aws:kms`, because the
   * buckets deny PUTs that do not.
   */
  sseKmsKeyId?: string;
  /**
   * Bytes per part of a streamed (multipart) write, and the size under which a streamed write
   * is one PutObject instead. Also the memory a streamed write holds. At least 5 MiB.
   * @default 8 MiB
   */
  partBytes?: number;
  /** Keys per ListObjectsV2 page (S3 caps it at 1,000). @default 1000 */
  listPageSize?: number;
}

/** What {@link S3ObjectStore.head} tells about an object. */
export interface S3ObjectHead {
  /** The ETag as S3 returns it, quotes included (a multipart ETag ends in `-<parts>`). */
  etag: string;
  /** Bytes. */
  size: number;
}

/** Options of {@link S3ObjectStore.readFrom}. */
export interface S3ReadOptions {
  /**
   * Read only if the object still has this ETag (S3 answers 412 otherwise), so a resumed read
   * never mixes two versions of a file.
   */
  ifMatch?: string;
}

/**
 * The object store on one S3 bucket (AWS SDK v3).
 *
 * Reads stream the response body; streamed writes go up as a multipart upload of
 * {@link S3ObjectStoreOptions.partBytes}-sized parts, so memory stays at about one part whatever
 * the file size. An object appears only when its upload completes: readers see the old object
 * or the whole new one. Every write asks for SSE-KMS with an S3 Bucket Key (far fewer KMS
 * requests).
 *
 * @example
 * ```ts
 * const raw = new S3ObjectStore(clients.s3, process.env.RAW_BUCKET!, { sseKmsKeyId: keyArn });
 * for await (const chunk of raw.read('inbox/tx.csv')) parser.push(chunk);
 * await raw.write('processed/tx.receipt.json', JSON.stringify(receipt));
 * ```
 */
export class S3ObjectStore implements ObjectStore {
  readonly bucket: string;
  private readonly s3: S3Client;
  private readonly sseKmsKeyId: string | undefined;
  private readonly partBytes: number;
  private readonly listPageSize: number;

  constructor(s3: S3Client, bucket: string, options: S3ObjectStoreOptions = {}) {
    this.s3 = s3;
    this.bucket = bucket;
    this.sseKmsKeyId = options.sseKmsKeyId;
    this.partBytes = options.partBytes ?? 8 * 1024 * 1024;
    if (this.partBytes < MIN_PART_BYTES) {
      throw new RangeError(`partBytes ${this.partBytes} is below S3's 5 MiB minimum part size`);
    }
    this.listPageSize = options.listPageSize ?? 1000;
  }

  /** Streams an object's bytes (one GetObject, started on first iteration). */
  read(key: string): AsyncIterable<Buffer> {
    return this.readFrom(key, 0);
  }

  /**
   * Streams an object's bytes from `byteOffset` on (a Range GET), to resume a read where a
   * checkpoint left it. An offset at or past the end yields nothing.
   */
  async *readFrom(key: string, byteOffset: number, options: S3ReadOptions = {}): AsyncGenerator<Buffer> {
    if (!Number.isSafeInteger(byteOffset) || byteOffset < 0) {
      throw new RangeError(`byte offset ${byteOffset} is not a non-negative integer`);
    }
    let body: unknown;
    try {
      const out = await this.s3.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: key,
          ...(byteOffset > 0 ? { Range: `bytes=${byteOffset}-` } : {}),
          ...(options.ifMatch ? { IfMatch: options.ifMatch } : {}),
        }),
      );
      body = out.Body;
    } catch (e) {
      // 416: the range starts at or past the end, i.e. everything was already read.
      if (byteOffset > 0 && statusOf(e) === 416) return;
      throw e;
    }
    if (!(body instanceof Readable)) {
      throw new TypeError(`GetObject s3://${this.bucket}/${key} returned no Node.js stream`);
    }
    // Breaking out of this loop destroys the stream, which frees the socket.
    for await (const chunk of body) yield Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
  }

  async write(key: string, body: string | AsyncIterable<string | Uint8Array>): Promise<void> {
    if (typeof body === 'string') {
      await this.put(key, Buffer.from(body, 'utf8'));
      return;
    }
    // Fill the first part; a stream that ends before it fills is one PutObject.
    const iterator = body[Symbol.asyncIterator]();
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let done = false;
    /** Reads until a whole part is pending or the stream ends. */
    const fill = async (): Promise<void> => {
      while (pendingBytes < this.partBytes) {
        const next = await iterator.next();
        if (next.done) {
          done = true;
          return;
        }
        const chunk = toBuffer(next.value);
        pending.push(chunk);
        pendingBytes += chunk.length;
      }
    };
    await fill();
    if (done) {
      await this.put(key, Buffer.concat(pending, pendingBytes));
      return;
    }
    const { UploadId: uploadId } = await this.s3.send(
      new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key, ...this.encryption() }),
    );
    if (!uploadId) throw new Error(`CreateMultipartUpload s3://${this.bucket}/${key} returned no upload id`);
    const parts: { PartNumber: number; ETag: string }[] = [];
    const uploadPart = async (data: Buffer): Promise<void> => {
      const PartNumber = parts.length + 1;
      const { ETag } = await this.s3.send(
        new UploadPartCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId, PartNumber, Body: data }),
      );
      if (!ETag) throw new Error(`UploadPart ${PartNumber} of s3://${this.bucket}/${key} returned no ETag`);
      parts.push({ PartNumber, ETag });
    };
    try {
      while (!done) {
        // Send whole parts of exactly partBytes; the remainder starts the next part.
        const joined = Buffer.concat(pending, pendingBytes);
        await uploadPart(joined.subarray(0, this.partBytes));
        const rest = joined.subarray(this.partBytes);
        pending = rest.length > 0 ? [Buffer.from(rest)] : [];
        pendingBytes = rest.length;
        await fill();
      }
      // The last part may be small (or the stream ended exactly on a part boundary).
      if (pendingBytes > 0) await uploadPart(Buffer.concat(pending, pendingBytes));
      pending = [];
      await this.s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts },
        }),
      );
    } catch (e) {
      // Uploaded parts are billed storage until aborted; the original error matters more than
      // an abort failure (a lifecycle rule cleans up what is left).
      await this.s3
        .send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId }))
        .catch(() => undefined);
      await Promise.resolve(iterator.return?.()).catch(() => undefined);
      throw e;
    }
  }

  /** Copies then deletes (S3 has no rename); the target is complete before the source goes. */
  async move(from: string, to: string): Promise<void> {
    // S3 refuses to copy an object onto itself without changing it.
    if (from === to) return;
    await this.copyTo(from, this.bucket, to);
    await this.delete(from);
  }

  /**
   * Server-side copy of `key` to `targetKey` in `targetBucket` (this bucket or another),
   * encrypted like every write of this store. Objects over 5 GiB need a multipart copy (not
   * supported here; fraudmini files are far smaller).
   */
  async copyTo(key: string, targetBucket: string, targetKey: string): Promise<void> {
    await this.s3.send(
      new CopyObjectCommand({
        Bucket: targetBucket,
        Key: targetKey,
        CopySource: `${this.bucket}/${encodeURIComponent(key).replace(/%2F/g, '/')}`,
        ...this.encryption(),
      }),
    );
  }

  /** Deletes an object; deleting a missing key is not an error (S3 answers 204 either way). */
  async delete(key: string): Promise<void> {
    await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  async exists(key: string): Promise<boolean> {
    return (await this.head(key)) !== undefined;
  }

  /** ETag and size of an object (HeadObject), or undefined when there is none. */
  async head(key: string): Promise<S3ObjectHead | undefined> {
    try {
      const out = await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return { etag: out.ETag ?? '', size: out.ContentLength ?? 0 };
    } catch (e) {
      if (statusOf(e) === 404) return undefined;
      throw e;
    }
  }

  /**
   * Every key that starts with `prefix` (an S3 prefix: `inbox/` lists the folder, `inbox` would
   * also list `inboxes/…`), across all pages, sorted.
   */
  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    const pages = paginateListObjectsV2(
      { client: this.s3, pageSize: this.listPageSize },
      { Bucket: this.bucket, Prefix: prefix },
    );
    for await (const page of pages) {
      for (const o of page.Contents ?? []) if (o.Key !== undefined) keys.push(o.Key);
    }
    return keys.sort();
  }

  private async put(key: string, data: Buffer): Promise<void> {
    await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: data, ...this.encryption() }));
  }

  private encryption(): { ServerSideEncryption: ServerSideEncryption; SSEKMSKeyId?: string; BucketKeyEnabled: true } {
    return {
      ServerSideEncryption: 'aws:kms',
      ...(this.sseKmsKeyId ? { SSEKMSKeyId: this.sseKmsKeyId } : {}),
      BucketKeyEnabled: true,
    };
  }
}

/** HTTP status of an AWS SDK error, when it has one. */
function statusOf(e: unknown): number | undefined {
  return (e as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
}

function toBuffer(chunk: string | Uint8Array): Buffer {
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}
