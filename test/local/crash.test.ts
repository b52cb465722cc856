import { Readable } from 'node:stream';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { loadRulesFile } from '../../src/adapters/local/FileRulesSource.js';
import { scoreFile } from '../../src/cli/score.js';
import { createPanTokenizer } from '../../src/core/pan.js';
import type { Decision } from '../../src/core/scoring.js';
import { BUNDLED_RULES } from '../../src/local/wiring.js';
import { maskedCsv } from '../../src/pipeline/maskedCopy.js';
import { builtBin } from '../helpers/cli.js';
import { scenarioFile, tempDir } from '../helpers/fixtures.js';

function startProcess(dataDir: string): ChildProcess {
  return spawn(process.execPath, [builtBin(), 'start', '--data-dir', dataDir, '--port', '0'], {
    env: { ...process.env, FRAUDMINI_BATCH_SIZE: '500', FRAUDMINI_POLL_MS: '50' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}

/** Rows committed so far for the file, read from the live database (WAL allows a concurrent reader). */
function rowsDone(dataDir: string): number {
  const path = join(dataDir, 'fraudmini.db');
  if (!existsSync(path)) return 0;
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT coalesce(max(rows_done), 0) FROM files').pluck().get() as number) ?? 0;
  } catch {
    return 0;
  } finally {
    db.close();
  }
}

async function waitFor(check: () => boolean, what: string, timeoutMs = 120_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('crash safety of the local runtime', () => {
  let child: ChildProcess | undefined;
  let cleanup = () => {};

  afterEach(() => {
    child?.kill('SIGKILL');
    cleanup();
  });

  it('decides every row exactly once after three SIGKILLs during an ingest', async () => {
    // Prepare
    const t = tempDir();
    cleanup = t.cleanup;
    const rows = 40_000;
    const f = scenarioFile(rows, 4);
    child = startProcess(t.dir);
    await waitFor(() => existsSync(join(t.dir, 'inbox')), 'the inbox');
    writeFileSync(join(t.dir, 'big.csv.part'), f.csv);
    renameSync(join(t.dir, 'big.csv.part'), join(t.dir, 'inbox/big.csv'));

    // Act: kill it three times at growing progress, restarting in between
    const kills: number[] = [];
    for (const target of [5_000, 15_000, 25_000]) {
      await waitFor(() => rowsDone(t.dir) >= target, `${target} rows`);
      child.kill('SIGKILL');
      await new Promise((r) => child?.once('exit', r));
      kills.push(rowsDone(t.dir));
      child = startProcess(t.dir);
    }
    const receiptPath = join(t.dir, 'processed/big.receipt.json');
    await waitFor(() => existsSync(receiptPath), 'the receipt');

    // Assess
    expect(kills.every((k, i) => i === 0 || k > (kills[i - 1] ?? 0))).toBe(true);
    const receipt = JSON.parse(readFileSync(receiptPath, 'utf8'));
    expect(receipt.counts.rows).toBe(rows);
    expect(receipt.counts.decided).toBe(rows - 4);
    expect(receipt.counts.rejected).toBe(4);
    expect(receipt.counts.duplicates).toBe(0);
    const db = new Database(join(t.dir, 'fraudmini.db'), { readonly: true });
    const decisions = db.prepare('SELECT count(*) FROM decisions').pluck().get();
    const distinctRows = db.prepare('SELECT count(DISTINCT row) FROM transactions').pluck().get();
    const stored = new Map(
      (
        db.prepare('SELECT transaction_id, outcome, reasons FROM decisions').all() as {
          transaction_id: string;
          outcome: string;
          reasons: string;
        }[]
      ).map((d) => {
        const reasons = JSON.parse(d.reasons) as Decision['reasons'];
        return [d.transaction_id, `${d.outcome}:${reasons.map((r) => r.rule).join(',')}`];
      }),
    );
    db.close();
    expect(decisions).toBe(rows - 4);
    expect(distinctRows).toBe(rows - 4);
    // Feature windows rebuilt after each kill: the same decisions as one uninterrupted pass.
    writeFileSync(join(t.dir, 'big.csv'), f.csv);
    const out = join(t.dir, 'offline.jsonl');
    const tokenizer = createPanTokenizer(Buffer.from(readFileSync(join(t.dir, 'token.key'), 'utf8').trim(), 'hex'));
    await scoreFile({
      input: join(t.dir, 'big.csv'),
      out,
      rules: loadRulesFile(BUNDLED_RULES),
      tokenizer,
      progress: false,
    });
    const offline = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Decision);
    expect(offline).toHaveLength(rows - 4);
    let same = 0;
    for (const d of offline)
      if (stored.get(d.transaction_id) === `${d.outcome}:${d.reasons.map((r) => r.rule).join(',')}`) same++;
    expect(same).toBe(rows - 4);
    expect(existsSync(join(t.dir, 'inbox/big.csv'))).toBe(false);
    // The masked copy, written during ingest and started over by each restart, holds every row
    // once; the killed processes' half-written copies are gone.
    let masked = '';
    for await (const part of maskedCsv(Readable.from([f.csv]), { tokenizer })) masked += part;
    const copy = readFileSync(join(t.dir, 'processed/big.csv'), 'utf8');
    expect(copy).toBe(masked);
    for (const pan of f.pans) expect(copy.includes(pan)).toBe(false);
    expect(readdirSync(join(t.dir, 'processing'))).toEqual([]);
  });
});
