import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FolderObjectStore } from '../../src/adapters/local/FolderObjectStore.js';
import { BodyPipe } from '../../src/pipeline/BodyPipe.js';
import { tempDir } from '../helpers/fixtures.js';

describe('FolderObjectStore', () => {
  let cleanup = () => {};
  afterEach(() => cleanup());

  it('removes the temporary files a killed process left, and nothing else', async () => {
    // Prepare: another process's half-written file, one of this process, and ordinary files
    const t = tempDir();
    cleanup = t.cleanup;
    const store = new FolderObjectStore({ root: t.dir });
    await store.write('processing/1-a.csv', 'raw');
    const dead = `.${process.pid + 1_000_000}.1700000000000.tmp`;
    const ours = `.${process.pid}.1700000000000.tmp`;
    writeFileSync(join(t.dir, 'processing', dead), 'half');
    writeFileSync(join(t.dir, 'processing', ours), 'in progress');
    writeFileSync(join(t.dir, 'processing', 'notes.tmp'), 'not ours');

    // Act
    const removed = await store.removeTemporaries('processing');

    // Assess
    expect(removed).toBe(1);
    expect(readdirSync(join(t.dir, 'processing')).sort()).toEqual([ours, '1-a.csv', 'notes.tmp'].sort());
  });

  it('writes a body of text and UTF-8 bytes mixed, in the order given', async () => {
    // Prepare
    const t = tempDir();
    cleanup = t.cleanup;
    const store = new FolderObjectStore({ root: t.dir });
    const big = 'x'.repeat((1 << 20) + 3);
    async function* body(): AsyncGenerator<string | Uint8Array> {
      yield 'a,é\n';
      yield Buffer.from('b,ü\n');
      yield big;
      yield new TextEncoder().encode('\nc,ß\n');
      yield 'd\n';
    }

    // Act
    await store.write('out/mixed.csv', body());

    // Assess
    const chunks: Buffer[] = [];
    for await (const chunk of store.read('out/mixed.csv')) chunks.push(chunk);
    expect(Buffer.concat(chunks).toString('utf8')).toBe(`a,é\nb,ü\n${big}\nc,ß\nd\n`);
  });

  it('writes a piped body whole, and nothing when the pipe fails', async () => {
    // Prepare
    const t = tempDir();
    cleanup = t.cleanup;
    const store = new FolderObjectStore({ root: t.dir });
    const good = new BodyPipe(8);
    const bad = new BodyPipe(8);

    // Act
    const written = store.write('out/good.txt', good);
    // Its outcome is taken at once: a rejection with no handler yet is reported as unhandled.
    const failed = store.write('out/bad.txt', bad).then(
      () => 'written',
      (e: unknown) => (e instanceof Error ? e.message : String(e)),
    );
    for (let i = 0; i < 100; i++) await good.write(`line ${i}\n`);
    good.end();
    await bad.write('partial\n');
    bad.fail(new Error('disk on fire'));

    // Assess
    await written;
    expect(await failed).toBe('disk on fire');
    expect(await store.exists('out/bad.txt')).toBe(false);
    expect(readdirSync(join(t.dir, 'out'))).toEqual(['good.txt']);
    let text = '';
    for await (const chunk of store.read('out/good.txt')) text += chunk.toString('utf8');
    expect(text.split('\n')).toHaveLength(101);
  });
});
