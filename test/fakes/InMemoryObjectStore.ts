import type { ObjectStore, ObjectVersion, ReadOptions } from '../../src/ports/ObjectStore.js';

/** Bytes handed out per chunk by {@link InMemoryObjectStore.read}: small, so readers see chunk edges. */
const CHUNK = 64 * 1024;

/**
 * An {@link ObjectStore} in memory, with S3's semantics: keys are flat strings (`list` takes any
 * prefix), objects never change in place (a write replaces them), and `version` is left out.
 *
 * @example
 * const objects = new InMemoryObjectStore();
 * await objects.write('inbox/a.csv', 'transaction_id,amount\n');
 */
export class InMemoryObjectStore implements ObjectStore {
  private readonly objects = new Map<string, Buffer>();

  read(key: string, options: ReadOptions = {}): AsyncIterable<Buffer> {
    const objects = this.objects;
    return (async function* () {
      const body = objects.get(key);
      if (body === undefined) throw new Error(`${key}: no such object`);
      for (let i = 0; i < body.length; i += CHUNK) yield Buffer.from(body.subarray(i, i + CHUNK));
      const version: ObjectVersion = { identity: key, size: body.length, modifiedMs: 0 };
      options.onEnd?.({ version, lineEnded: body.length === 0 || body[body.length - 1] === 10 });
    })();
  }

  async write(key: string, body: string | AsyncIterable<string | Uint8Array>): Promise<void> {
    if (typeof body === 'string') {
      this.objects.set(key, Buffer.from(body, 'utf8'));
      return;
    }
    const parts: Buffer[] = [];
    for await (const part of body) parts.push(typeof part === 'string' ? Buffer.from(part, 'utf8') : Buffer.from(part));
    // Set once the whole body is in: readers see the old object or the new one, never a part.
    this.objects.set(key, Buffer.concat(parts));
  }

  async move(from: string, to: string): Promise<void> {
    const body = this.objects.get(from);
    if (body === undefined) throw new Error(`${from}: no such object`);
    this.objects.delete(from);
    this.objects.set(to, body);
  }

  async delete(key: string): Promise<void> {
    this.objects.delete(key);
  }

  async exists(key: string): Promise<boolean> {
    return this.objects.has(key);
  }

  async list(prefix: string): Promise<string[]> {
    return [...this.objects.keys()].filter((k) => k.startsWith(prefix)).sort();
  }
}
