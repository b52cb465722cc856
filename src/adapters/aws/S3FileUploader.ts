import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import {
  CompleteMultipartUploadCommand,
  type CompletedPart,
  CreateMultipartUploadCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  type Part,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { UploadError } from './S3UploadErrors.js';

/** S3's smallest part (all but the last part of a multipart upload). */
export const MIN_PART_SIZE = 5 << 20;
/** S3's largest number of parts in one upload. */
export const MAX_PARTS = 10_000;
/** Part size used unless told otherwise: a file up to this size goes in one PUT. */
export const DEFAULT_PART_SIZE = 8 << 20;

/** Options of {@link uploadFileToS3}. */
export interface S3FileUploadOptions {
  s3: S3Client;
  /** Local path of the file. */
  file: string;
  bucket: string;
  key: string;
  /**
   * KMS key for SSE-KMS. Every request asks for `aws:kms`; without a key id S3 uses the bucket's
   * default key (the deployed buckets deny any other key than theirs).
   */
  kmsKeyId?: string;
  /** Bytes per part; at least {@link MIN_PART_SIZE}. @default DEFAULT_PART_SIZE */
  partSize?: number;
  /** Parts in flight at once (memory is about this many parts). @default 4 */
  concurrency?: number;
  /** Called after each part (or the single PUT) with the bytes and line feeds sent so far. */
  onProgress?: (bytesDone: number, linesDone: number) => void;
}

/** What {@link uploadFileToS3} did. */
export interface S3FileUploadResult {
  bytes: number;
  /** Parts of the multipart upload, 0 when the file went in one PUT. */
  parts: number;
  /** Parts found already uploaded by an earlier, interrupted run and kept. */
  resumedParts: number;
  /** The object's ETag as S3 returned it. */
  etag: string;
}

/** One part as uploaded earlier (from ListParts). */
export interface UploadedPart {
  partNumber: number;
  size: number;
  /** Base64 SHA-256 of the part, as S3 stored it. */
  sha256: string | undefined;
  etag: string;
}

/**
 * Streams a local file to S3 with SSE-KMS and a SHA-256 checksum on every request (the SDK
 * computes it, S3 rejects a request whose bytes do not match). Up to one part size it is one PUT; above, a multipart upload
 * reading one part per request, so memory stays at `concurrency` parts whatever the file size.
 *
 * Resumable: before starting a multipart upload it looks for an unfinished one of the same key
 * (ListMultipartUploads, ListParts) whose every uploaded part has the size and SHA-256 of the
 * file's part at that number, and continues it, uploading only the missing parts. An upload of
 * another version of the file does not match and is left alone (the bucket's lifecycle rule
 * aborts it). A failure leaves the multipart upload in place for the next run to resume.
 *
 * @throws {@link UploadError} naming the file, the destination and S3's reason.
 * @example
 * const result = await uploadFileToS3({ s3, file: 'day.csv', bucket: 'raw', key: 'inbox/day.csv' });
 * // result.parts === 0 for a small file: one PUT
 */
export async function uploadFileToS3(options: S3FileUploadOptions): Promise<S3FileUploadResult> {
  const partSize = options.partSize ?? DEFAULT_PART_SIZE;
  const destination = `s3://${options.bucket}/${options.key}`;
  if (!Number.isInteger(partSize) || partSize < MIN_PART_SIZE) {
    throw new UploadError(options.file, destination, `the part size must be at least ${MIN_PART_SIZE} bytes, got ${partSize}`);
  }
  let handle: FileHandle | undefined;
  try {
    handle = await open(options.file, 'r');
    const size = (await handle.stat()).size;
    const upload = new FileUpload(options, handle, size, partSize);
    return size <= partSize ? await upload.single() : await upload.multipart();
  } catch (e) {
    if (e instanceof UploadError) throw e;
    throw new UploadError(options.file, destination, reasonOf(e), { cause: e });
  } finally {
    await handle?.close();
  }
}

/**
 * Which parts of an earlier upload can be kept: their numbers and ETags. Undefined when the
 * upload is not of this file as cut into these parts (a part of another size, beyond the end,
 * or whose SHA-256 differs from the local part's, or without one to compare).
 */
export async function reusableParts(
  uploaded: readonly UploadedPart[],
  sizeOf: (partNumber: number) => number,
  partCount: number,
  localSha256: (partNumber: number) => Promise<string>,
): Promise<Map<number, UploadedPart> | undefined> {
  const kept = new Map<number, UploadedPart>();
  for (const part of uploaded) {
    if (part.partNumber < 1 || part.partNumber > partCount) return undefined;
    if (part.size !== sizeOf(part.partNumber) || part.sha256 === undefined) return undefined;
    if ((await localSha256(part.partNumber)) !== part.sha256) return undefined;
    kept.set(part.partNumber, part);
  }
  return kept;
}

class FileUpload {
  private bytesDone = 0;
  private linesDone = 0;
  private readonly partCount: number;
  private readonly sse: { ServerSideEncryption: 'aws:kms'; SSEKMSKeyId?: string };

  constructor(
    private readonly options: S3FileUploadOptions,
    private readonly handle: FileHandle,
    private readonly size: number,
    private readonly partSize: number,
  ) {
    this.partCount = Math.max(1, Math.ceil(size / partSize));
    this.sse = { ServerSideEncryption: 'aws:kms', ...(options.kmsKeyId ? { SSEKMSKeyId: options.kmsKeyId } : {}) };
  }

  async single(): Promise<S3FileUploadResult> {
    const body = await this.readPart(1);
    const { ETag } = await this.options.s3.send(
      new PutObjectCommand({
        Bucket: this.options.bucket,
        Key: this.options.key,
        Body: body,
        ContentLength: body.length,
        ContentType: 'text/csv',
        ChecksumAlgorithm: 'SHA256',
        ...this.sse,
      }),
    );
    this.sent(body);
    return { bytes: this.size, parts: 0, resumedParts: 0, etag: ETag ?? '' };
  }

  async multipart(): Promise<S3FileUploadResult> {
    if (this.partCount > MAX_PARTS) {
      throw new UploadError(
        this.options.file,
        `s3://${this.options.bucket}/${this.options.key}`,
        `${this.partCount} parts of ${this.partSize} bytes is more than S3's ${MAX_PARTS}; use a larger part size`,
      );
    }
    const { s3, bucket, key } = this.options;
    const earlier = await this.findResumable();
    const uploadId =
      earlier?.uploadId ??
      (
        await s3.send(
          new CreateMultipartUploadCommand({
            Bucket: bucket,
            Key: key,
            ContentType: 'text/csv',
            ChecksumAlgorithm: 'SHA256',
            ...this.sse,
          }),
        )
      ).UploadId;
    if (!uploadId) throw new Error('CreateMultipartUpload returned no upload id');
    const parts: CompletedPart[] = new Array<CompletedPart>(this.partCount);
    let next = 1;
    let failure: { error: unknown } | undefined;
    const worker = async (): Promise<void> => {
      while (next <= this.partCount && !failure) {
        const n = next++;
        const kept = earlier?.parts.get(n);
        if (kept) {
          parts[n - 1] = { PartNumber: n, ETag: kept.etag, ...(kept.sha256 ? { ChecksumSHA256: kept.sha256 } : {}) };
          this.bytesDone += kept.size;
          this.options.onProgress?.(this.bytesDone, this.linesDone);
          continue;
        }
        const body = await this.readPart(n);
        const sent = await s3
          .send(
            new UploadPartCommand({
              Bucket: bucket,
              Key: key,
              UploadId: uploadId,
              PartNumber: n,
              Body: body,
              ContentLength: body.length,
              ChecksumAlgorithm: 'SHA256',
            }),
          )
          .catch((error: unknown) => {
            failure ??= { error };
          });
        if (!sent) return;
        const { ETag, ChecksumSHA256 } = sent;
        if (!ETag) throw new Error(`UploadPart ${n} returned no ETag`);
        parts[n - 1] = { PartNumber: n, ETag, ...(ChecksumSHA256 ? { ChecksumSHA256 } : {}) };
        this.sent(body);
      }
    };
    // A failed part stops new ones but lets those in flight finish, so the next run finds them.
    await Promise.all(Array.from({ length: Math.min(this.options.concurrency ?? 4, this.partCount) }, worker));
    if (failure) throw failure.error;
    const { ETag } = await s3.send(
      new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts } }),
    );
    return { bytes: this.size, parts: this.partCount, resumedParts: earlier?.parts.size ?? 0, etag: ETag ?? '' };
  }

  /** The newest unfinished upload of this key whose parts are this file's, if any. */
  private async findResumable(): Promise<{ uploadId: string; parts: Map<number, UploadedPart> } | undefined> {
    const { s3, bucket, key } = this.options;
    const { Uploads = [] } = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: key }));
    const candidates = Uploads.filter((u) => u.Key === key && u.UploadId)
      .sort((a, b) => (b.Initiated?.getTime() ?? 0) - (a.Initiated?.getTime() ?? 0))
      .map((u) => u.UploadId as string);
    const hashes = new Map<number, string>();
    const localSha256 = async (n: number): Promise<string> => {
      let h = hashes.get(n);
      if (h === undefined) {
        h = sha256(await this.readPart(n, false));
        hashes.set(n, h);
      }
      return h;
    };
    for (const uploadId of candidates) {
      const uploaded: UploadedPart[] = [];
      let marker: string | undefined;
      for (;;) {
        const page = await s3.send(
          new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumberMarker: marker }),
        );
        for (const p of page.Parts ?? []) uploaded.push(uploadedPart(p));
        if (!page.IsTruncated || page.NextPartNumberMarker === undefined) break;
        marker = page.NextPartNumberMarker;
      }
      const parts = await reusableParts(uploaded, (n) => this.sizeOf(n), this.partCount, localSha256);
      if (parts) return { uploadId, parts };
    }
    return undefined;
  }

  private sizeOf(n: number): number {
    return Math.min(this.partSize, this.size - (n - 1) * this.partSize);
  }

  /** Reads part `n` (1-based); counts its line feeds for progress unless told not to. */
  private async readPart(n: number, count = true): Promise<Buffer> {
    const length = this.sizeOf(n);
    const buffer = Buffer.allocUnsafe(length);
    let at = 0;
    while (at < length) {
      const { bytesRead } = await this.handle.read(buffer, at, length - at, (n - 1) * this.partSize + at);
      if (bytesRead === 0) throw new Error('the file got shorter while it was being uploaded');
      at += bytesRead;
    }
    if (count) this.linesDone += countLineFeeds(buffer);
    return buffer;
  }

  private sent(body: Buffer): void {
    this.bytesDone += body.length;
    this.options.onProgress?.(this.bytesDone, this.linesDone);
  }
}

function uploadedPart(p: Part): UploadedPart {
  return { partNumber: p.PartNumber ?? 0, size: p.Size ?? -1, sha256: p.ChecksumSHA256, etag: p.ETag ?? '' };
}

function sha256(body: Buffer): string {
  return createHash('sha256').update(body).digest('base64');
}

function countLineFeeds(buffer: Buffer): number {
  let n = 0;
  for (let i = buffer.indexOf(10); i !== -1; i = buffer.indexOf(10, i + 1)) n++;
  return n;
}

/** S3's reason for a failure in words a person can act on (no stack trace). */
function reasonOf(e: unknown): string {
  const err = e as { name?: string; message?: string; code?: string; $metadata?: { httpStatusCode?: number } };
  const name = err.name ?? 'Error';
  if (name === 'CredentialsProviderError') {
    return 'no AWS credentials found (set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)';
  }
  if (name === 'NoSuchBucket') return 'the bucket does not exist (check --bucket and the region)';
  if (name === 'AccessDenied') return (
      `access denied (${err.message ?? 'no detail'}): the credentials need s3:PutObject on the bucket and ` +
      'kms:GenerateDataKey on its key, and the bucket takes only SSE-KMS with its own key (--kms-key-id)'
    );
  if (err.code === 'ENOENT') return 'no such file';
  if (err.code === 'EACCES') return 'permission denied';
  if (err.code === 'ECONNREFUSED' || err.code === 'ENOTFOUND') return `cannot reach S3 (${err.code})`;
  const status = err.$metadata?.httpStatusCode;
  return `${name === 'Error' ? '' : `${name}: `}${err.message ?? String(e)}${status ? ` (HTTP ${status})` : ''}`;
}
