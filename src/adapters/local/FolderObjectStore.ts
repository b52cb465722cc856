import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import type { ObjectStore } from '../../ports/ObjectStore.js';

/** Options of {@link FolderObjectStore}. */
export interface FolderObjectStoreOptions {
  /** The folder that holds `inbox/`, `processed/`, `failed/` and the rest. */
  root: string;
}

/**
 * The object store on a local folder. Writes go to a hidden temporary file that is fsynced and
 * renamed into place, so a reader never sees half a file and a crash leaves no torn output.
 */
export class FolderObjectStore implements ObjectStore {
  readonly root: string;

  constructor(options: FolderObjectStoreOptions) {
    this.root = options.root;
  }

  /** Absolute path of a key. */
  pathOf(key: string): string {
    const p = join(this.root, ...key.split('/'));
    if (relative(this.root, p).startsWith('..')) throw new RangeError(`key ${key} escapes the store`);
    return p;
  }

  read(key: string): AsyncIterable<Buffer> {
    return createReadStream(this.pathOf(key), { highWaterMark: 1 << 20 });
  }

  async write(key: string, body: string | AsyncIterable<string>): Promise<void> {
    const target = this.pathOf(key);
    await mkdir(dirname(target), { recursive: true });
    const tmp = join(dirname(target), temporaryName());
    const fh = await open(tmp, 'w', 0o600);
    try {
      if (typeof body === 'string') await fh.write(body);
      else {
        let buf = '';
        for await (const part of body) {
          buf += part;
          if (buf.length >= 1 << 20) {
            await fh.write(buf);
            buf = '';
          }
        }
        if (buf) await fh.write(buf);
      }
      await fh.sync();
    } catch (e) {
      await fh.close();
      await rm(tmp, { force: true });
      throw e;
    }
    await fh.close();
    await rename(tmp, target);
  }

  /**
   * Deletes the temporary files that writes of other processes left in `folder` (a crash in the
   * middle of a write); returns how many. The writes of this process are left alone.
   */
  async removeTemporaries(folder: string): Promise<number> {
    let removed = 0;
    for (const key of await this.list(folder)) {
      const m = TEMPORARY.exec(key);
      if (m && Number(m[1]) !== process.pid) {
        await this.delete(key);
        removed++;
      }
    }
    return removed;
  }

  async move(from: string, to: string): Promise<void> {
    const target = this.pathOf(to);
    await mkdir(dirname(target), { recursive: true });
    await rename(this.pathOf(from), target);
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  async exists(key: string): Promise<boolean> {
    try {
      await stat(this.pathOf(key));
      return true;
    } catch {
      return false;
    }
  }

  async list(prefix: string): Promise<string[]> {
    const dir = this.pathOf(prefix.replace(/\/$/, ''));
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      return [];
    }
    const base = relative(this.root, dir).split(sep).join('/');
    return names.sort().map((n) => (base ? `${base}/${n}` : n));
  }
}

/** A write's temporary file: hidden, named after the writing process (`.<pid>.<ms>.<n>.tmp`; see `removeTemporaries`). */
const TEMPORARY = /(?:^|\/)\.(\d+)(?:\.\d+)+\.tmp$/;
let temporaries = 0;

/** A name no other write uses: two writes to one folder in the same millisecond must not share it. */
function temporaryName(): string {
  return `.${process.pid}.${Date.now()}.${temporaries++}.tmp`;
}
