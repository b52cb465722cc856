import { describe, expect, it } from 'vitest';
import type { ObjectStore } from '../../src/ports/ObjectStore.js';

async function text(stream: AsyncIterable<Buffer>): Promise<string> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c);
  return Buffer.concat(parts).toString('utf8');
}

async function* pieces(parts: string[]): AsyncIterable<string> {
  for (const p of parts) yield p;
}

/**
 * The behaviour every {@link ObjectStore} promises. `makeStore` returns a new, empty store on each
 * call. Narrowed: `list` is only asked for a folder prefix (`a/`) holding objects and no deeper
 * folders, since a folder store lists one level (a subfolder shows as its name) while S3 lists
 * every key under the prefix; and `version` is left out (S3 has none).
 *
 * @example
 * describeObjectStoreContract('FolderObjectStore', async () => new FolderObjectStore({ root: tempDir().dir }));
 */
export function describeObjectStoreContract(name: string, makeStore: () => Promise<ObjectStore>): void {
  describe(`ObjectStore contract: ${name}`, () => {
    it('writes a string or a stream of strings and reads the same bytes back', async () => {
      // Prepare
      const store = await makeStore();
      const big = `${'x'.repeat(1023)}\n`.repeat(1500);
      // Act
      await store.write('in/a.csv', 'transaction_id,amount\ntx-1,12.50\n');
      await store.write('in/b.csv', pieces(['h\n', 'ü€,1\n', big]));
      // Assess
      expect(await text(store.read('in/a.csv'))).toBe('transaction_id,amount\ntx-1,12.50\n');
      expect(await text(store.read('in/b.csv'))).toBe(`h\nü€,1\n${big}`);
    });

    it('replaces an object written again', async () => {
      // Prepare
      const store = await makeStore();
      await store.write('in/a.csv', 'old, and longer than the new one\n');
      // Act
      await store.write('in/a.csv', 'new\n');
      // Assess
      expect(await text(store.read('in/a.csv'))).toBe('new\n');
    });

    it('tells which objects exist and lists a folder sorted, without other folders', async () => {
      // Prepare
      const store = await makeStore();
      for (const k of ['in/c.csv', 'in/a.csv', 'in/b.csv', 'out/a.csv', 'inbox2/z.csv']) await store.write(k, k);
      // Act
      const listed = await store.list('in/');
      // Assess
      expect(listed).toEqual(['in/a.csv', 'in/b.csv', 'in/c.csv']);
      expect(await store.list('empty/')).toEqual([]);
      expect(await store.exists('out/a.csv')).toBe(true);
      expect(await store.exists('out/b.csv')).toBe(false);
    });

    it('moves an object: the target holds it, the source is gone', async () => {
      // Prepare
      const store = await makeStore();
      await store.write('in/a.csv', 'moved\n');
      // Act
      await store.move('in/a.csv', 'work/1-a.csv');
      // Assess
      expect(await store.exists('in/a.csv')).toBe(false);
      expect(await text(store.read('work/1-a.csv'))).toBe('moved\n');
    });

    it('deletes an object, and deleting a missing one is no error', async () => {
      // Prepare
      const store = await makeStore();
      await store.write('in/a.csv', 'gone\n');
      // Act
      await store.delete('in/a.csv');
      await store.delete('in/never.csv');
      // Assess
      expect(await store.exists('in/a.csv')).toBe(false);
    });

    it('fails to read an object that does not exist', async () => {
      // Prepare
      const store = await makeStore();
      // Act
      const read = text(store.read('in/missing.csv'));
      // Assess
      await expect(read).rejects.toThrow();
    });
  });
}
