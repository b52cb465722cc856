import { appendFileSync, closeSync, fstatSync, openSync, readSync, truncateSync } from 'node:fs';
import type { Alert } from '../../core/views.js';
import type { AlertSink } from '../../ports/AlertSink.js';

/**
 * Appends alerts to a JSON Lines file. Exactly once across crashes: on start it reads the last
 * alert id already in the file and skips anything up to it, so an append that happened just
 * before a crash (cursor not yet saved) is not written twice.
 */
export class JsonlAlertSink implements AlertSink {
  readonly name = 'jsonl';
  private lastWritten: number;

  constructor(readonly path: string) {
    this.lastWritten = lastIdIn(path);
  }

  async deliver(alerts: readonly Alert[]): Promise<void> {
    const fresh = alerts.filter((a) => a.id > this.lastWritten);
    if (fresh.length === 0) return;
    appendFileSync(this.path, fresh.map((a) => `${JSON.stringify(a)}\n`).join(''), { mode: 0o600 });
    this.lastWritten = fresh[fresh.length - 1]?.id ?? this.lastWritten;
  }
}

/**
 * The id of the last complete line of a JSONL alert file (0 when none). A torn last line (crash
 * mid-append) is cut off so the alert is rewritten whole on its own line, instead of the next
 * append being glued onto the fragment; a complete last line that only lacks its newline gets one.
 */
function lastIdIn(path: string): number {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return 0;
  }
  let size: number;
  let buf: Buffer;
  try {
    size = fstatSync(fd).size;
    const len = Math.min(size, 64 * 1024);
    buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, size - len);
  } finally {
    closeSync(fd);
  }
  const tailStart = buf.lastIndexOf(0x0a) + 1;
  const lines = buf.subarray(0, tailStart).toString('utf8').split('\n');
  const tail = buf.subarray(tailStart).toString('utf8');
  // a tail with no newline before it in a window that does not reach the file start cannot be judged
  if (tail !== '' && (tailStart > 0 || buf.length === size)) {
    if (idOf(tail) !== undefined) {
      appendFileSync(path, '\n');
      lines.push(tail);
    } else {
      truncateSync(path, size - (buf.length - tailStart));
    }
  }
  for (let i = lines.length - 1; i >= 0; i--) {
    const id = idOf(lines[i] as string);
    if (id !== undefined) return id;
  }
  return 0;
}

/** The alert id of one JSONL line, or undefined when it is not a whole alert. */
function idOf(line: string): number | undefined {
  if (line.trim() === '') return undefined;
  try {
    const id = (JSON.parse(line) as { id?: unknown }).id;
    return typeof id === 'number' ? id : undefined;
  } catch {
    return undefined;
  }
}
