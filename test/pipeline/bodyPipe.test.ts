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
    pipe.end();
    const parts = await drain(pipe);

    // Assess
    expect(parts).toHaveLength(4);
    expect(parts[0]).toBe('a1\na2\n');
    expect(parts[1]).toBe(bytes);
    expect(parts[2]).toBe('c1\n');
    expect(parts[3]).toBe(later);
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
});
