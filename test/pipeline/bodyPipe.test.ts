import { describe, expect, it } from 'vitest';
import { type BodyPart, BodyPipe } from '../../src/pipeline/BodyPipe.js';

/** Everything the pipe hands on, part by part, until it ends. */
async function drain(pipe: BodyPipe): Promise<BodyPart[]> {
  const out: BodyPart[] = [];
  for await (const part of pipe) out.push(part);
  return out;
}

describe('BodyPipe', () => {
  it('hands on queued text as one string and bytes as the very arrays written, in order', async () => {
    // Prepare
    const pipe = new BodyPipe();
    const bytes = new TextEncoder().encode('b1\n');
    const later = new TextEncoder().encode('é\n');

    // Act: everything queued before the reader first looks
    await pipe.write('a1\n');
    await pipe.write('a2\n');
    await pipe.write(bytes);
    await pipe.write('c1\n');
    await pipe.write(later);
    await pipe.write(new Uint8Array(0));
    await pipe.write('d1\n');
    await pipe.write('d2\n');
    pipe.end();
    const parts = await drain(pipe);

    // Assess
    expect(parts).toHaveLength(5);
    expect(parts[0]).toBe('a1\na2\n');
    expect(parts[1]).toBe(bytes);
    expect(parts[2]).toBe('c1\n');
    expect(parts[3]).toBe(later);
    expect(parts[4]).toBe('d1\nd2\n');
  });

  it('holds a writer back while more bytes than its mark are queued, and lets it on once they are read', async () => {
    // Prepare
    const pipe = new BodyPipe(4);
    let written = false;

    // Act
    const write = pipe.write(new Uint8Array(5)).then(() => (written = true));
    await new Promise((resolve) => setImmediate(resolve));
    const before = written;
    const reader = pipe[Symbol.asyncIterator]();
    const first = await reader.next();
    await write;

    // Assess
    expect(before).toBe(false);
    expect(written).toBe(true);
    expect((first.value as Uint8Array).byteLength).toBe(5);
  });

  it('hands a part to a reader already waiting as soon as it is written, before the pipe ends', async () => {
    // Prepare: the reader asks before anything is queued
    const pipe = new BodyPipe();
    const reader = pipe[Symbol.asyncIterator]();
    const next = reader.next();

    // Act
    await pipe.write('a\n');
    const first = await next;
    const again = reader.next();
    await pipe.write(new Uint8Array([98]));
    const second = await again;
    const last = reader.next();
    pipe.end();

    // Assess
    expect(first).toEqual({ done: false, value: 'a\n' });
    expect(second.value).toEqual(new Uint8Array([98]));
    expect((await last).done).toBe(true);
  });

  it('lets a writer on at once while exactly its mark is queued', async () => {
    // Prepare
    const pipe = new BodyPipe(4);

    // Act: nobody reads
    const outcome = await Promise.race([pipe.write('abcd').then(() => 'written'), new Promise((resolve) => setTimeout(() => resolve('held'), 50))]);

    // Assess
    expect(outcome).toBe('written');
  });

  it('refuses a write after the end, and ends a reader with what was queued before it', async () => {
    // Prepare
    const pipe = new BodyPipe();
    await pipe.write('a\n');
    pipe.end();

    // Act
    const refused = await pipe.write('b\n').then(
      () => undefined,
      (e: unknown) => e,
    );

    // Assess
    expect((refused as Error).message).toBe('write after end of the pipe');
    expect(await drain(pipe)).toEqual(['a\n']);
  });

  it('fails the reader waiting, the writer held back, and any later write with the error it was failed with', async () => {
    // Prepare: a reader waiting on an empty pipe, then a writer held back by the mark
    const pipe = new BodyPipe(2);
    const error = new Error('disk full');
    const reader = pipe[Symbol.asyncIterator]();
    const waiting = reader.next().then(
      () => undefined,
      (e: unknown) => e,
    );
    const held = new BodyPipe(2);
    const heldWrite = held.write('abc').then(
      () => undefined,
      (e: unknown) => e,
    );

    // Act
    pipe.fail(error);
    held.fail(error);
    const later = await pipe.write('x').then(
      () => undefined,
      (e: unknown) => e,
    );

    // Assess
    expect(await waiting).toBe(error);
    expect(await heldWrite).toBe(error);
    expect(later).toBe(error);
  });
});
