import { appendFileSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InboxWatcher, isInboxCandidate } from '../../src/local/InboxWatcher.js';
import { tempDir } from '../helpers/fixtures.js';

const CSV = 'transaction_id,timestamp,account_id,amount\nT1,2026-01-01T00:00:00Z,A1,10.00\n';

/** Polls `check` every few milliseconds until it holds. */
async function waitFor(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Scans (waiting a little between passes) until `check` holds. */
async function scanUntil(watcher: InboxWatcher, check: () => boolean, what: string): Promise<void> {
  const until = Date.now() + 10_000;
  for (;;) {
    await watcher.scan();
    if (check()) return;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('InboxWatcher', () => {
  let cleanups: (() => void)[] = [];

  afterEach(() => {
    for (const c of cleanups.reverse()) c();
    cleanups = [];
  });

  /** A watcher over a fresh inbox that records each hand-over with the file's size at that moment. */
  function setup(
    pollMs: number,
    settleMs?: number,
  ): { inbox: string; watcher: InboxWatcher; handed: { name: string; size: number }[] } {
    const t = tempDir();
    const inbox = join(t.dir, 'inbox');
    mkdirSync(inbox);
    const handed: { name: string; size: number }[] = [];
    const watcher = new InboxWatcher({
      dir: inbox,
      pollMs,
      settleMs,
      onFile: (name) => handed.push({ name, size: statSync(join(inbox, name)).size }),
    });
    cleanups.push(t.cleanup, () => watcher.stop());
    return { inbox, watcher, handed };
  }

  it('picks up a csv renamed into the inbox, once, and never its partial upload name', async () => {
    // Prepare
    const { inbox, watcher, handed } = setup(20);
    watcher.start();
    writeFileSync(join(inbox, 'day1.csv.part'), CSV);

    // Act
    renameSync(join(inbox, 'day1.csv.part'), join(inbox, 'day1.csv'));
    await waitFor(() => handed.length > 0, 'the file to be handed over');
    await watcher.scan();
    await watcher.scan();

    // Assess
    expect(handed).toEqual([{ name: 'day1.csv', size: CSV.length }]);
  });

  it('does not hand over a file that is still growing, and hands it over whole once it holds still', async () => {
    // Prepare
    const { inbox, watcher, handed } = setup(250);
    const path = join(inbox, 'growing.csv');
    writeFileSync(path, 'transaction_id,timestamp,account_id,amount\n');

    // Act: a slow copy; the watcher looks twice after every write
    for (let i = 1; i <= 5; i++) {
      appendFileSync(path, `T${i},2026-01-01T00:00:0${i}Z,A1,10.00\n`);
      await watcher.scan();
      await new Promise((r) => setTimeout(r, 5));
      await watcher.scan();
    }
    const beforeStill = handed.length;
    await scanUntil(watcher, () => handed.length > 0, 'the file to be handed over');

    // Assess
    expect(beforeStill).toBe(0);
    expect(handed).toEqual([{ name: 'growing.csv', size: statSync(path).size }]);
  });

  it('needs the file to hold still for a whole poll, not just for two scans in a row', async () => {
    // Prepare: watch events trigger scans moments apart; the poll is long
    const { inbox, watcher, handed } = setup(60_000);
    writeFileSync(join(inbox, 'copying.csv'), CSV);

    // Act
    await watcher.scan();
    await watcher.scan();
    await watcher.scan();

    // Assess
    expect(handed).toEqual([]);
  });

  it('ignores hidden files, partial downloads and files that are not csv', async () => {
    // Prepare
    const { inbox, watcher, handed } = setup(1);
    const ignored = [
      '.hidden.csv',
      'a.csv.part',
      'b.csv.tmp',
      'c.csv.crdownload',
      'd.CSV.PART',
      'e.csv~',
      'notes.txt',
      'data.json',
      'csv',
    ];
    for (const name of ignored) writeFileSync(join(inbox, name), CSV);
    mkdirSync(join(inbox, 'folder.csv'));
    writeFileSync(join(inbox, 'zz-last.csv'), CSV);
    writeFileSync(join(inbox, 'UPPER.CSV'), CSV);

    // Act: scan until both real files were handed, then a few more passes
    await scanUntil(watcher, () => handed.length >= 2, 'the csv files');
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 5));
      await watcher.scan();
    }

    // Assess
    expect(handed.map((h) => h.name).sort()).toEqual(['UPPER.CSV', 'zz-last.csv']);
    for (const name of ignored) expect(isInboxCandidate(name), name).toBe(false);
    expect(isInboxCandidate('day.csv')).toBe(true);
  });

  it('does not hand the same name twice until it is released', async () => {
    // Prepare
    const { inbox, watcher, handed } = setup(1);
    const path = join(inbox, 'daily.csv');
    writeFileSync(path, CSV);
    await scanUntil(watcher, () => handed.length === 1, 'the first hand-over');

    // Act: the same name is rewritten while still handed out
    writeFileSync(path, `${CSV}T2,2026-01-01T00:00:02Z,A1,11.00\n`);
    for (let i = 0; i < 4; i++) {
      await new Promise((r) => setTimeout(r, 5));
      await watcher.scan();
    }
    const whileHanded = handed.length;
    rmSync(path);
    watcher.release('daily.csv');
    writeFileSync(path, CSV);
    await scanUntil(watcher, () => handed.length === 2, 'the second hand-over');

    // Assess
    expect(whileHanded).toBe(1);
    expect(handed.map((h) => h.name)).toEqual(['daily.csv', 'daily.csv']);
  });

  it('holds back a file that ends in the middle of a line until the line is ended', async () => {
    // Prepare: a writer paused mid-line, for longer than a poll; the settle period is long
    const { inbox, watcher, handed } = setup(1, 60_000);
    const path = join(inbox, 'paused.csv');
    writeFileSync(path, 'transaction_id,timestamp,account_id,amount\nT1,2026-01-01T00:00:00Z,A1,12');
    writeFileSync(join(inbox, 'empty.csv'), '');

    // Act
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setTimeout(r, 5));
      await watcher.scan();
    }
    const whilePaused = handed.length;
    appendFileSync(path, '500.00\n');
    await scanUntil(watcher, () => handed.length > 0, 'the completed file');

    // Assess: the empty file is still held back too
    expect(whilePaused).toBe(0);
    expect(handed).toEqual([{ name: 'paused.csv', size: statSync(path).size }]);
  });

  it('hands over a file without a final line end once it held still for the settle period', async () => {
    // Prepare
    const { inbox, watcher, handed } = setup(1, 30);
    writeFileSync(join(inbox, 'no-eol.csv'), CSV.trimEnd());

    // Act
    await scanUntil(watcher, () => handed.length > 0, 'the file');

    // Assess
    expect(handed.map((h) => h.name)).toEqual(['no-eol.csv']);
  });
});
