import { type FSWatcher, watch } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { openRegular, unreadableReason } from '../adapters/local/FolderObjectStore.js';

/** Options of {@link InboxWatcher}. */
export interface InboxWatcherOptions {
  /** The inbox folder. */
  dir: string;
  /** Called once per ready file name (a file is ready when its size and mtime held still for one poll). */
  onFile: (name: string) => void;
  /** @default 500 */
  pollMs?: number;
  /**
   * How long a file whose last line has no line end (or an empty file) must hold still before it
   * is handed over: its writer may have paused in the middle of a line. @default 5000
   */
  settleMs?: number;
  /**
   * Called once per file that is never handed over because it is not a regular file of the inbox
   * (a symbolic link, a hard link, a device, a FIFO, a directory), with the reason. It is not read.
   */
  onSkip?: (name: string, reason: string) => void;
}

/** Names that are never picked up: hidden files, and partial uploads of common tools. */
const PARTIAL = /^\.|\.(part|partial|tmp|temp|crdownload|download|filepart)$|~$/i;

/** First and longest wait before a file whose claim failed is handed over again. */
const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 5 * 60_000;

/** Default of {@link InboxWatcherOptions.settleMs}. */
export const DEFAULT_SETTLE_MS = 5000;

/**
 * Whether a file's last byte ends a line (false for an empty file, and for one that cannot be
 * read: it is judged again on the next scan). Read through the same checks as every read.
 */
async function endsWithLineEnd(path: string): Promise<boolean> {
  let opened;
  try {
    opened = await openRegular(path, path);
  } catch {
    return false;
  }
  try {
    const { fh, stats } = opened;
    if (stats.size === 0) return false;
    const byte = Buffer.alloc(1);
    await fh.read(byte, 0, 1, stats.size - 1);
    return byte[0] === 0x0a || byte[0] === 0x0d;
  } catch {
    return false;
  } finally {
    await opened.fh.close();
  }
}

/** True for a name the watcher would pick up once it holds still. */
export function isInboxCandidate(name: string): boolean {
  return /\.csv$/i.test(name) && !PARTIAL.test(name);
}

/**
 * Watches the inbox for `*.csv` files. Uses `fs.watch` for promptness and a poll as the safety
 * net (watch events can be lost). A file must keep the same size and mtime for at least `pollMs`
 * before it is handed over, so a file still being copied in is not read half-written (two scans
 * a moment apart, as watch events cause, are not enough), and for `settleMs` if it ends in the
 * middle of a line (a writer that paused mid-line). Only regular files with one name are
 * handed over; anything else is reported once through `onSkip` and left where it is, unread.
 */
export class InboxWatcher {
  /** Last signature (size:mtime) of each candidate and when it was first seen. */
  private readonly seen = new Map<string, { signature: string; since: number }>();
  private readonly handed = new Set<string>();
  /** The last backoff of each name whose claim failed, until it is taken. */
  private readonly backoff = new Map<string, number>();
  /** Names handed over whose claim failed: not handed again before `until`, unless the file changed. */
  private readonly deferred = new Map<string, { until: number; signature: string | undefined }>();
  /** Candidates that are not regular files, by name: what was reported (inode and reason). */
  private readonly skipped = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private fsWatcher: FSWatcher | undefined;
  private scanning = false;
  private stopped = false;
  private again = false;

  constructor(private readonly options: InboxWatcherOptions) {}

  start(): void {
    const poll = this.options.pollMs ?? 500;
    this.timer = setInterval(() => void this.scan(), poll);
    try {
      this.fsWatcher = watch(this.options.dir, () => void this.scan());
      this.fsWatcher.on('error', () => this.fsWatcher?.close());
    } catch {
      // polling alone still works (e.g. on file systems without inotify)
    }
    void this.scan();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.fsWatcher?.close();
  }

  /** Forget a handed-over name (after it left the inbox) so a new file of that name is picked up. */
  release(name: string): void {
    this.handed.delete(name);
    this.seen.delete(name);
    this.deferred.delete(name);
    this.backoff.delete(name);
  }

  /**
   * A handed-over file could not be taken (its registration failed): hand it over again after a
   * backoff (1 s, doubling for each failure of the name, at most 5 min), or as soon as a
   * different file of that name holds still. Returns the backoff.
   */
  retryLater(name: string): number {
    const last = this.backoff.get(name);
    const delayMs = last === undefined ? FIRST_RETRY_MS : Math.min(MAX_RETRY_MS, last * 2);
    this.backoff.set(name, delayMs);
    this.handed.delete(name);
    this.deferred.set(name, { until: Date.now() + delayMs, signature: this.seen.get(name)?.signature });
    return delayMs;
  }

  /** Reports a file that is not handed over, once (again only if it is replaced by another such file). */
  private skip(name: string, signature: string, why: string): void {
    this.seen.delete(name);
    if (this.skipped.get(name) === signature) return;
    this.skipped.set(name, signature);
    this.options.onSkip?.(name, why);
  }

  /** One pass over the inbox. */
  async scan(): Promise<void> {
    if (this.scanning) {
      this.again = true;
      return;
    }
    this.scanning = true;
    try {
      let names: string[];
      try {
        names = await readdir(this.options.dir);
      } catch {
        return;
      }
      const now = Date.now();
      const present = new Set(names);
      for (const name of this.seen.keys()) if (!present.has(name)) this.seen.delete(name);
      for (const name of this.skipped.keys()) if (!present.has(name)) this.skipped.delete(name);
      for (const name of this.deferred.keys()) if (!present.has(name)) this.deferred.delete(name);
      for (const name of this.backoff.keys()) if (!present.has(name)) this.backoff.delete(name);
      for (const name of names.sort()) {
        if (!isInboxCandidate(name) || this.handed.has(name)) continue;
        let signature: string;
        try {
          // lstat: a link is judged as itself, never by the file it points to.
          const s = await lstat(join(this.options.dir, name));
          const why = unreadableReason(s);
          if (why) {
            this.skip(name, `${s.ino}:${why}`, why);
            continue;
          }
          this.skipped.delete(name);
          signature = `${s.size}:${s.mtimeMs}`;
        } catch {
          continue;
        }
        const later = this.deferred.get(name);
        if (later) {
          if (later.signature === signature && now < later.until) continue;
          this.deferred.delete(name);
        }
        const prev = this.seen.get(name);
        if (prev?.signature !== signature) {
          this.seen.set(name, { signature, since: now });
        } else if (now - prev.since >= (this.options.pollMs ?? 500)) {
          const settleMs = this.options.settleMs ?? DEFAULT_SETTLE_MS;
          if (now - prev.since < settleMs && !(await endsWithLineEnd(join(this.options.dir, name)))) continue;
          this.handed.add(name);
          if (this.stopped) return;
          this.options.onFile(name);
        }
      }
    } finally {
      this.scanning = false;
      if (this.again && !this.stopped) {
        this.again = false;
        setTimeout(() => void this.scan(), 100).unref();
      }
    }
  }
}
