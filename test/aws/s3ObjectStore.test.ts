import { createHash } from 'node:crypto';
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { S3ObjectStore } from '../../src/adapters/aws/S3ObjectStore.js';
import { emulatorClients, uniqueName } from './clients.js';

const MiB = 1024 * 1024;

async function collect(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c);
  return Buffer.concat(parts);
}

/** Deterministic pseudo-random bytes for chunk `i` (so a mis-ordered part shows). */
function chunkBytes(i: number, size: number): Buffer {
  const b = Buffer.alloc(size);
  let x = (i + 1) * 2654435761;
  for (let k = 0; k < size; k += 4) {
    x = (x * 1103515245 + 12345) >>> 0;
    b.writeUInt32LE(x, k);
  }
  return b;
}

describe('S3ObjectStore on fauxqs', () => {
  let s3: S3Client;
  let bucket: string;
  let store: S3ObjectStore;

  beforeAll(async () => {
    s3 = emulatorClients().s3;
    bucket = uniqueName('objects');
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    store = new S3ObjectStore(s3, bucket, { sseKmsKeyId: 'alias/fraudmini-test' });
  });

  it('writes a string and streams it back', async () => {
    // Prepare
    const text = 'transaction_id,amount\ntx-1,12.50\n';
    // Act
    await store.write('inbox/a.csv', text);
    const back = await collect(store.read('inbox/a.csv'));
    // Assess
    expect(back.toString('utf8')).toBe(text);
    expect(await store.exists('inbox/a.csv')).toBe(true);
  });

  it('sends SSE-KMS headers the emulator accepts', async () => {
    // Prepare: record the headers of every PutObject this client sends.
    const seen: Record<string, string>[] = [];
    const client = emulatorClients().s3;
    client.middlewareStack.add(
      (next) => async (args) => {
        seen.push({ ...(args.request as { headers: Record<string, string> }).headers });
        return next(args);
      },
      { step: 'finalizeRequest', name: 'captureHeaders' },
    );
    const encrypted = new S3ObjectStore(client, bucket, { sseKmsKeyId: 'alias/fraudmini-test' });
    // Act
    await encrypted.write('enc/a.txt', 'x');
    // Assess
    const put = seen.at(-1) ?? {};
    expect(put['x-amz-server-side-encryption']).toBe('aws:kms');
    expect(put['x-amz-server-side-encryption-aws-kms-key-id']).toBe('alias/fraudmini-test');
    expect(put['x-amz-server-side-encryption-bucket-key-enabled']).toBe('true');
    expect(await collect(encrypted.read('enc/a.txt'))).toEqual(Buffer.from('x'));
  });

  it('streams a 20 MiB write as a multipart upload of 8 MiB parts, without buffering the file', async () => {
    // Prepare: 80 lazily generated 256 KiB chunks; the client records how much the generator had
    // produced when each UploadPart went out.
    const client = emulatorClients().s3;
    let produced = 0;
    const partsAt: number[] = [];
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'UploadPartCommand') partsAt.push(produced);
        return next(args);
      },
      { step: 'initialize', name: 'observeParts' },
    );
    const big = new S3ObjectStore(client, bucket);
    const chunk = 256 * 1024;
    const chunks = 80;
    const expected = createHash('sha256');
    async function* lazy(): AsyncGenerator<Buffer> {
      for (let i = 0; i < chunks; i++) {
        const b = chunkBytes(i, chunk);
        expected.update(b);
        produced += b.length;
        yield b;
      }
    }
    // Act
    await big.write('big/20mib.bin', lazy());
    const head = await big.head('big/20mib.bin');
    const actual = createHash('sha256');
    let size = 0;
    for await (const c of big.read('big/20mib.bin')) {
      actual.update(c);
      size += c.length;
    }
    // Assess: three parts (8 + 8 + 4 MiB), each sent once its bytes existed and never more
    // than about one part ahead of the generator.
    expect(size).toBe(20 * MiB);
    expect(actual.digest('hex')).toBe(expected.digest('hex'));
    expect(head?.size).toBe(20 * MiB);
    expect(head?.etag).toMatch(/-3"$/);
    expect(partsAt).toHaveLength(3);
    expect(partsAt[0]).toBeLessThan(9 * MiB);
    expect(partsAt[1]).toBeLessThan(17 * MiB);
  });

  it('writes a short stream as one object', async () => {
    // Prepare
    async function* few(): AsyncGenerator<string> {
      yield 'a,b\n';
      yield '1,2\n';
    }
    // Act
    await store.write('small/s.csv', few());
    // Assess
    expect((await collect(store.read('small/s.csv'))).toString()).toBe('a,b\n1,2\n');
    const head = await store.head('small/s.csv');
    expect(head).toEqual({ etag: expect.not.stringContaining('-'), size: 8 });
  });

  it('aborts the multipart upload when the source stream fails, leaving no object', async () => {
    // Prepare
    async function* failing(): AsyncGenerator<Buffer> {
      for (let i = 0; i < 40; i++) yield chunkBytes(i, 256 * 1024);
      throw new Error('source broke');
    }
    // Act / Assess
    await expect(store.write('broken/x.bin', failing())).rejects.toThrow('source broke');
    expect(await store.exists('broken/x.bin')).toBe(false);
  });

  it('reads from a byte offset (Range GET), to the end, and nothing past it', async () => {
    // Prepare
    await store.write('range/r.txt', '0123456789');
    const head = await store.head('range/r.txt');
    // Act
    const tail = await collect(store.readFrom('range/r.txt', 4, { ifMatch: head?.etag }));
    const none = await collect(store.readFrom('range/r.txt', 10));
    // Assess
    expect(tail.toString()).toBe('456789');
    expect(none.length).toBe(0);
  });

  it('refuses a resumed read when the object changed (If-Match)', async () => {
    // Prepare
    await store.write('range/changed.txt', 'first version');
    const before = await store.head('range/changed.txt');
    await store.write('range/changed.txt', 'second version');
    // Act / Assess
    await expect(collect(store.readFrom('range/changed.txt', 3, { ifMatch: before?.etag }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 412 },
    });
  });

  it('answers false / undefined for a missing key and throws when reading one', async () => {
    expect(await store.exists('nope/missing.csv')).toBe(false);
    expect(await store.head('nope/missing.csv')).toBeUndefined();
    await expect(collect(store.read('nope/missing.csv'))).rejects.toMatchObject({ name: 'NoSuchKey' });
  });

  it('moves an object (copy + delete) and deletes idempotently', async () => {
    // Prepare
    await store.write('inbox/m.csv', 'moved');
    // Act
    await store.move('inbox/m.csv', 'processed/2024/m.csv');
    await store.delete('processed/2024/m.csv.never-existed');
    // Assess
    expect(await store.exists('inbox/m.csv')).toBe(false);
    expect((await collect(store.read('processed/2024/m.csv'))).toString()).toBe('moved');
    await store.delete('processed/2024/m.csv');
    await store.delete('processed/2024/m.csv');
    expect(await store.exists('processed/2024/m.csv')).toBe(false);
  });

  it('copies to another bucket, keys with spaces and unicode included', async () => {
    // Prepare
    const other = uniqueName('refined');
    await s3.send(new CreateBucketCommand({ Bucket: other }));
    await store.write('inbox/a file é.csv', 'copied');
    // Act
    await store.copyTo('inbox/a file é.csv', other, 'processed/a file é.csv');
    // Assess
    const out = await s3.send(new GetObjectCommand({ Bucket: other, Key: 'processed/a file é.csv' }));
    expect(await out.Body?.transformToString()).toBe('copied');
    await expect(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'inbox/a file é.csv' }))).resolves.toBeDefined();
  });

  it('lists every key under a prefix, sorted, across pages', async () => {
    // Prepare: 25 keys written out of order, listed 7 per page.
    const paged = new S3ObjectStore(s3, bucket, { listPageSize: 7 });
    const names = Array.from({ length: 25 }, (_, i) => `list/${String((i * 7) % 25).padStart(2, '0')}.csv`);
    for (const n of names) await paged.write(n, n);
    await paged.write('listed-not/x.csv', 'other prefix');
    // Act
    const listed = await paged.list('list/');
    // Assess
    expect(listed).toEqual([...names].sort());
    expect(await paged.list('nothing-here/')).toEqual([]);
  });

  it('rejects a part size S3 would refuse', () => {
    expect(() => new S3ObjectStore(s3, bucket, { partBytes: 1024 })).toThrow(RangeError);
  });
});
