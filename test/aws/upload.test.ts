import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { MIN_PART_SIZE, reusableParts, type UploadedPart } from '../../src/adapters/aws/S3FileUploader.js';
import { main } from '../../src/cli/main.js';
import { emulatorClients, uniqueName } from './clients.js';
import { MultipartListingProxy } from './multipartListing.js';

const HEADER = 'transaction_id,timestamp,account_id,card_number,amount,currency\n';

/** A valid CSV of at least `bytes` bytes, every row distinct (a mis-ordered part would show). */
function csvOfSize(bytes: number): string {
  const rows: string[] = [HEADER];
  let length = HEADER.length;
  for (let i = 0; length < bytes; i++) {
    const row = `T${String(i).padStart(9, '0')},2026-01-05T08:04:00Z,A${i % 997},4000000000000002,${(i % 5000) + 1}.25,USD\n`;
    rows.push(row);
    length += row.length;
  }
  return rows.join('');
}

/** Runs `fraudmini upload` in process; returns the exit code and what it wrote to stderr. */
async function upload(args: string[], endpoint = inject('aws').fauxqs): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  try {
    const code = await main(['upload', ...args, '--endpoint', endpoint, '--no-progress'], {});
    return { code, stderr };
  } finally {
    spy.mockRestore();
  }
}

async function objectBytes(s3: S3Client, bucket: string, key: string): Promise<{ body: Buffer; etag: string }> {
  const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  if (!got.Body) throw new Error(`s3://${bucket}/${key} has no body`);
  return { body: Buffer.from(await got.Body.transformToByteArray()), etag: got.ETag ?? '' };
}

async function keys(s3: S3Client, bucket: string): Promise<string[]> {
  const { Contents = [] } = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  return Contents.map((o) => o.Key ?? '');
}

describe('fraudmini upload on fauxqs', () => {
  let s3: S3Client;
  let bucket: string;
  let dir: string;

  beforeAll(async () => {
    // The CLI builds its own client from the environment, as it would for a user.
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'test');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'test');
    s3 = emulatorClients().s3;
    bucket = uniqueName('raw');
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    dir = mkdtempSync(join(tmpdir(), 'fraudmini-upload-'));
  });

  afterAll(() => {
    vi.unstubAllEnvs();
    rmSync(dir, { recursive: true, force: true });
  });

  it('puts a small file into inbox/ in one request, byte for byte', async () => {
    // Prepare
    const file = join(dir, 'small.csv');
    writeFileSync(file, csvOfSize(10_000));

    // Act
    const { code, stderr } = await upload([file, '--bucket', bucket]);

    // Assess
    expect(code, stderr).toBe(0);
    const { body, etag } = await objectBytes(s3, bucket, 'inbox/small.csv');
    expect(body.equals(readFileSync(file))).toBe(true);
    expect(etag).not.toMatch(/-\d+"?$/);
    expect(stderr).toContain('one request');
  });

  it('sends a file larger than the part size as a multipart upload, byte for byte', async () => {
    // Prepare: a little over two parts, so three parts with a short last one
    const file = join(dir, 'large.csv');
    writeFileSync(file, csvOfSize(2 * MIN_PART_SIZE + 123_457));

    // Act
    const { code, stderr } = await upload([file, '--bucket', bucket, '--prefix', 'inbox/day1', '--part-size', '5']);

    // Assess: S3 (and fauxqs) mark a multipart object's ETag with its part count
    expect(code, stderr).toBe(0);
    const { body, etag } = await objectBytes(s3, bucket, 'inbox/day1/large.csv');
    expect(body.equals(readFileSync(file))).toBe(true);
    expect(etag).toMatch(/-3"?$/);
    expect(stderr).toContain('3 parts');
  });

  it('refuses a file whose header cannot be mapped and uploads nothing', async () => {
    // Prepare: no amount column, in a bucket of its own so "nothing" is checkable
    const empty = uniqueName('raw-empty');
    await s3.send(new CreateBucketCommand({ Bucket: empty }));
    const file = join(dir, 'bad-header.csv');
    writeFileSync(file, 'transaction_id,timestamp,account_id,value\nT1,2026-01-05T08:04:00Z,A1,12.00\n');

    // Act
    const { code, stderr } = await upload([file, '--bucket', empty]);

    // Assess
    expect(code).toBe(2);
    expect(stderr).toContain('bad-header.csv');
    expect(stderr).toContain('no column for amount');
    expect(await keys(s3, empty)).toEqual([]);
  });

  it('refuses --map, which the AWS ingest function would not apply, before sending anything', async () => {
    const empty = uniqueName('raw-map');
    await s3.send(new CreateBucketCommand({ Bucket: empty }));
    const file = join(dir, 'mapped.csv');
    writeFileSync(file, 'transaction_id,timestamp,account_id,value\nT1,2026-01-05T08:04:00Z,A1,12.00\n');
    const { code, stderr } = await upload([file, '--bucket', empty, '--map', 'value=amount']);
    expect(code).toBe(2);
    expect(stderr).toContain('--map is not available for upload');
    expect(await keys(s3, empty)).toEqual([]);
  });

  it('reports an S3 failure in one line with the file name masked', async () => {
    // Prepare: a valid file named like a card number, to a bucket that does not exist
    const file = join(dir, '4111111111111111.csv');
    writeFileSync(file, csvOfSize(1_000));

    // Act
    const { code, stderr } = await upload([file, '--bucket', uniqueName('missing')]);

    // Assess
    expect(code).toBe(1);
    expect(stderr).toContain('the bucket does not exist');
    expect(stderr).toContain('411111******1111.csv');
    expect(stderr).not.toContain('4111111111111111');
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});

describe('fraudmini upload resumes on fauxqs behind a proxy that lists multipart uploads', () => {
  // fauxqs has no ListMultipartUploads or ListParts: the proxy answers them from what it saw.
  let s3: S3Client;
  let bucket: string;
  let dir: string;
  let proxy: MultipartListingProxy;
  let endpoint: string;

  beforeAll(async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'test');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'test');
    s3 = emulatorClients().s3;
    bucket = uniqueName('raw-resume');
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    dir = mkdtempSync(join(tmpdir(), 'fraudmini-resume-'));
    ({ proxy, address: endpoint } = await MultipartListingProxy.start(inject('aws').fauxqs));
  });

  afterAll(async () => {
    vi.unstubAllEnvs();
    await proxy.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('continues an interrupted upload, sending only the parts that were missing', async () => {
    // Prepare: three parts; the third fails on the first run
    const file = join(dir, 'resume.csv');
    writeFileSync(file, csvOfSize(2 * MIN_PART_SIZE + 4_321));
    proxy.failPart = 3;
    const first = await upload([file, '--bucket', bucket, '--part-size', '5'], endpoint);
    expect(first.code).toBe(1);
    expect(first.stderr).toContain('run the same command again');
    expect(await keys(s3, bucket)).toEqual([]);
    expect([...proxy.uploadedParts].sort()).toEqual([1, 2]);

    // Act
    proxy.failPart = undefined;
    const second = await upload([file, '--bucket', bucket, '--part-size', '5'], endpoint);

    // Assess
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toContain('3 parts, 2 kept from an interrupted upload');
    expect(proxy.uploadedParts.slice(2)).toEqual([3]);
    const { body } = await objectBytes(s3, bucket, 'inbox/resume.csv');
    expect(body.equals(readFileSync(file))).toBe(true);
  });

  it('asks for SSE-KMS with the given key and a SHA-256 checksum on every write', async () => {
    // Prepare
    const small = join(dir, 'sse-small.csv');
    const large = join(dir, 'sse-large.csv');
    writeFileSync(small, csvOfSize(5_000));
    writeFileSync(large, csvOfSize(MIN_PART_SIZE + 10));
    const keyId = 'arn:aws:kms:us-east-1:111122223333:key/test-key';

    // Act
    for (const file of [small, large]) {
      const { code, stderr } = await upload([file, '--bucket', bucket, '--part-size', '5', '--kms-key-id', keyId], endpoint);
      expect(code, stderr).toBe(0);
    }

    // Assess: the PUT carries the checksum itself, CreateMultipartUpload names the algorithm for the parts
    const put = proxy.writeHeaders.find((w) => w.key === 'inbox/sse-small.csv')?.headers ?? {};
    const create = proxy.writeHeaders.find((w) => w.key === 'inbox/sse-large.csv')?.headers ?? {};
    for (const h of [put, create]) {
      expect(h['x-amz-server-side-encryption']).toBe('aws:kms');
      expect(h['x-amz-server-side-encryption-aws-kms-key-id']).toBe(keyId);
    }
    expect(String(put['x-amz-checksum-sha256'] ?? put['x-amz-trailer'] ?? '')).not.toBe('');
    expect(create['x-amz-checksum-algorithm']).toBe('SHA256');
  });

  it('starts afresh when the unfinished upload of that key holds other bytes', async () => {
    // Prepare: an interrupted upload of one version of the file, then the file changes
    const file = join(dir, 'changed.csv');
    writeFileSync(file, csvOfSize(2 * MIN_PART_SIZE + 99));
    proxy.failPart = 3;
    expect((await upload([file, '--bucket', bucket, '--part-size', '5'], endpoint)).code).toBe(1);
    writeFileSync(file, csvOfSize(2 * MIN_PART_SIZE + 99).replaceAll('A1,', 'A2,'));
    const before = proxy.uploadedParts.length;

    // Act
    proxy.failPart = undefined;
    const again = await upload([file, '--bucket', bucket, '--part-size', '5'], endpoint);

    // Assess
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).not.toContain('kept from an interrupted upload');
    expect(proxy.uploadedParts.slice(before).sort()).toEqual([1, 2, 3]);
    const { body } = await objectBytes(s3, bucket, 'inbox/changed.csv');
    expect(body.equals(readFileSync(file))).toBe(true);
  });
});

describe('reusableParts', () => {
  const partSize = MIN_PART_SIZE;
  const size = 3 * partSize - 10;
  const sizeOf = (n: number): number => Math.min(partSize, size - (n - 1) * partSize);
  const local = async (n: number): Promise<string> => `sha-${n}`;
  const part = (n: number, over: Partial<UploadedPart> = {}): UploadedPart => ({
    partNumber: n,
    size: sizeOf(n),
    sha256: `sha-${n}`,
    etag: `"etag-${n}"`,
    ...over,
  });

  it('keeps the parts of an earlier upload of the same file', async () => {
    const kept = await reusableParts([part(1), part(3)], sizeOf, 3, local);
    expect([...(kept?.keys() ?? [])]).toEqual([1, 3]);
    expect(kept?.get(3)?.etag).toBe('"etag-3"');
  });

  it('rejects an upload of other bytes, another part size, or parts it cannot check', async () => {
    expect(await reusableParts([part(1), part(2, { sha256: 'other' })], sizeOf, 3, local)).toBeUndefined();
    expect(await reusableParts([part(1, { size: partSize + 1 })], sizeOf, 3, local)).toBeUndefined();
    expect(await reusableParts([part(4)], sizeOf, 3, local)).toBeUndefined();
    expect(await reusableParts([part(1, { sha256: undefined })], sizeOf, 3, local)).toBeUndefined();
  });
});
