import { execFileSync } from 'node:child_process';
import { linkSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FolderObjectStore } from '../../src/adapters/local/FolderObjectStore.js';
import { UnreadableObjectError } from '../../src/ports/ObjectStore.js';
import { tempDir } from '../helpers/fixtures.js';

/** Reads a key whole, or the error it failed with. */
async function readAll(store: FolderObjectStore, key: string): Promise<string | Error> {
  try {
    let text = '';
    for await (const chunk of store.read(key)) text += chunk.toString('utf8');
    return text;
  } catch (e) {
    return e as Error;
  }
}

describe('FolderObjectStore reads regular files only', () => {
  let cleanup = () => {};
  afterEach(() => cleanup());

  /** A store whose `inbox/` holds a secret's symlink, hard link and a FIFO next to a plain file. */
  function setup(): { store: FolderObjectStore; root: string } {
    const t = tempDir();
    cleanup = t.cleanup;
    mkdirSync(join(t.dir, 'inbox'));
    const secret = join(t.dir, 'secret.txt');
    writeFileSync(secret, 'SECRET\n');
    writeFileSync(join(t.dir, 'inbox', 'plain.csv'), 'a,b\n1,2\n');
    symlinkSync('../secret.txt', join(t.dir, 'inbox', 'link.csv'));
    linkSync(secret, join(t.dir, 'inbox', 'hard.csv'));
    execFileSync('mkfifo', [join(t.dir, 'inbox', 'pipe.csv')]);
    return { store: new FolderObjectStore({ root: t.dir }), root: t.dir };
  }

  it('reads a regular file', async () => {
    // Prepare
    const { store } = setup();

    // Act
    const text = await readAll(store, 'inbox/plain.csv');

    // Assess
    expect(text).toBe('a,b\n1,2\n');
  });

  it.each([
    ['link.csv', /symbolic link/],
    ['hard.csv', /2 names \(hard links\)/],
    ['pipe.csv', /FIFO/],
  ])('refuses %s without reading it (%s)', async (name, reason) => {
    // Prepare
    const { store } = setup();

    // Act: a FIFO with no writer would block an ordinary open for ever
    const result = await readAll(store, `inbox/${name}`);

    // Assess
    expect(result).toBeInstanceOf(UnreadableObjectError);
    expect((result as Error).message).toMatch(reason);
    expect((result as Error).message).not.toContain('SECRET');
  });

  it('refuses a directory', async () => {
    // Prepare
    const { store, root } = setup();
    mkdirSync(join(root, 'inbox', 'dir.csv'));

    // Act
    const result = await readAll(store, 'inbox/dir.csv');

    // Assess
    expect(result).toBeInstanceOf(UnreadableObjectError);
  });
});
