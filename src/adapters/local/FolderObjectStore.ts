import { constants, type Stats } from 'node:fs';
import { type FileHandle, lstat, mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ObjectChangedError,
  type ObjectStore,
  type ObjectVersion,
  type ReadOptions,
  UnreadableObjectError,
} from '../../ports/ObjectStore.js';

/** Bytes read at a time. */
const CHUNK = 1 << 20;
/**
 * Opens for reading without following a symbolic link in the last component, and without
 * waiting for a writer if the name turns out to be a FIFO (O_NOFOLLOW is absent on Windows).
 */
const READ_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

/** Longest pause between two looks at a file that is waiting to settle. */
const SETTLE_POLL_MS = 50;

/**
 * Why a file with these stats is not read, or undefined for a regular file with one name. A
 * symbolic or hard link could make the store read a file from elsewhere (a key, a system file);
 * devices and FIFOs can block or have side effects when read.
 */
export function unreadableReason(s: Stats): string | undefined {
  if (s.isSymbolicLink()) return 'it is a symbolic link';
  if (s.isDirectory()) return 'it is a directory';
  if (s.isFIFO()) return 'it is a FIFO (named pipe)';
  if (s.isSocket()) return 'it is a socket';
  if (s.isBlockDevice() || s.isCharacterDevice()) return 'it is a device';
  if (!s.isFile()) return 'it is not a regular file';
  if (s.nlink > 1) return `it has ${s.nlink} names (hard links): it may be a file from elsewhere`;
  return undefined;
}

/** Options of {@link FolderObjectStore}. */
export interface FolderObjectStoreOptions {
  /** The folder that holds `inbox/`, `processed/`, `failed/` and the rest. */
  root: string;
}

/**
 * The object store on a local folder. Writes go to a hidden temporary file that is fsynced and
 * renamed into place, so a reader never sees half a file and a crash leaves no torn output. Reads
 * open regular files only: never through a symbolic link, never a hard-linked file, a device or a
 * FIFO, checked on the opened descriptor so the name cannot be swapped between check and read.
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

  read(key: string, options: ReadOptions = {}): AsyncIterable<Buffer> {
    return this.readRegular(key, options);
  }

  async version(key: string): Promise<ObjectVersion | undefined> {
    try {
      return versionOf(await lstat(this.pathOf(key)));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  /**
   * Reads a regular file to its end, and on past it while it grows. At the end, the descriptor's
   * size says whether the file grew (read on), was cut short (throw) or holds still; a last line
   * without a line end is waited on until the file has not changed for `settleMs`.
   */
  private async *readRegular(key: string, options: ReadOptions): AsyncGenerator<Buffer> {
    const { fh, stats } = await openRegular(this.pathOf(key), key);
    const settleMs = options.settleMs ?? 0;
    try {
      let position = 0;
      let last = -1;
      for (;;) {
        // Small files get a small buffer; a file that grows past its size is read on in chunks.
        const buf = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(stats.size - position, 16 << 10)));
        const { bytesRead } = await fh.read(buf, 0, buf.length, position);
        if (bytesRead > 0) {
          position += bytesRead;
          last = buf[bytesRead - 1] ?? -1;
          yield buf.subarray(0, bytesRead);
          continue;
        }
        const now = await fh.stat();
        if (now.size > position) continue;
        if (now.size < position) {
          throw new ObjectChangedError(key, `it shrank from ${position} to ${now.size} bytes`);
        }
        const lineEnded = last === 0x0a || last === 0x0d;
        const stillFor = Date.now() - now.mtimeMs;
        if (!lineEnded && stillFor < settleMs) {
          await sleep(Math.min(settleMs - stillFor, SETTLE_POLL_MS));
          continue;
        }
        options.onEnd?.({ version: versionOf(now), lineEnded });
        return;
      }
    } finally {
      await fh.close();
    }
  }

  async write(key: string, body: string | AsyncIterable<string | Uint8Array>): Promise<void> {
    const target = this.pathOf(key);
    await mkdir(dirname(target), { recursive: true });
    const tmp = join(dirname(target), temporaryName());
    const fh = await open(tmp, 'w', 0o600);
    try {
      if (typeof body === 'string') await fh.write(body);
      else {
        // Parts, text or bytes, are gathered in order into writes of about 1 MiB.
        let parts: (string | Uint8Array)[] = [];
        let size = 0;
        const flush = async (): Promise<void> => {
          const gathered = parts;
          parts = [];
          size = 0;
          if (gathered.every((p) => typeof p === 'string')) await fh.write(gathered.join(''));
          else await fh.writev(gathered.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : p)));
        };
        for await (const part of body) {
          const length = typeof part === 'string' ? part.length : part.byteLength;
          if (length === 0) continue;
          parts.push(part);
          size += length;
          if (size >= 1 << 20) await flush();
        }
        if (parts.length > 0) await flush();
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
      // A link exists as itself, whether or not its target does (reading it is refused).
      await lstat(this.pathOf(key));
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

/**
 * Opens a regular file with one name for reading, checked on the name first (opening a device can
 * have effects of its own) and again on the opened descriptor, so a name swapped in between (for a
 * link, or another file) is caught. Throws {@link UnreadableObjectError} naming `key`.
 */
export async function openRegular(path: string, key: string): Promise<{ fh: FileHandle; stats: Stats }> {
  const named = await lstat(path);
  const why = unreadableReason(named);
  if (why) throw new UnreadableObjectError(key, why);
  let fh: FileHandle;
  try {
    fh = await open(path, READ_FLAGS);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ELOOP') throw new UnreadableObjectError(key, 'it is a symbolic link');
    throw e;
  }
  try {
    const stats = await fh.stat();
    const whyNow =
      unreadableReason(stats) ??
      (stats.ino !== named.ino || stats.dev !== named.dev ? 'it was replaced while it was opened' : undefined);
    if (whyNow) throw new UnreadableObjectError(key, whyNow);
    return { fh, stats };
  } catch (e) {
    await fh.close();
    throw e;
  }
}

/** A file's version: its inode for identity, its size and modification time. */
function versionOf(s: Stats): ObjectVersion {
  return { identity: `${s.dev}:${s.ino}`, size: s.size, modifiedMs: s.mtimeMs };
}
