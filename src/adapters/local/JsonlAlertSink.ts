import { appendFileSync, closeSync, fstatSync, openSync, readSync } from 'node:fs';
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

/** The id of the last complete line of a JSONL alert file (0 when none). */
function lastIdIn(path: string): number {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return 0;
  }
  try {
    const size = fstatSync(fd).size;
    const len = Math.min(size, 64 * 1024);
    const buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, size - len);
    const lines = buf
      .toString('utf8')
      .split('\n')
      .filter((l) => l.trim() !== '');
    for (let i = lines.length - 1; i >= 0; i--) {
      try {
        const id = (JSON.parse(lines[i] as string) as { id?: unknown }).id;
        if (typeof id === 'number') return id;
      } catch {
        // a torn last line (crash mid-append) is skipped; the alert is rewritten whole
      }
    }
    return 0;
  } finally {
    closeSync(fd);
  }
}
