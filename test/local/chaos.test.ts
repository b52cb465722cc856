import { appendFileSync, cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChaosResult, runChaos } from '../../scripts/chaos/runChaos.js';
import { verify } from '../../scripts/chaos/verify.js';
import { tempDir } from '../helpers/fixtures.js';

// The run spawns bin/fraudmini.js, which executes dist/: `npm run build` first (npm test does).
// CHAOS_KILLS and CHAOS_SEED run it harder or with other choices; `npm run chaos` is the full run.
const KILLS = Number(process.env.CHAOS_KILLS ?? 3);
const SEED = Number(process.env.CHAOS_SEED ?? 1);

describe('chaos on the local runtime', () => {
  let result: ChaosResult;

  beforeAll(async () => {
    // A few small files, a few hundred POSTs, labels, a webhook that fails part of the time.
    result = await runChaos({ kills: KILLS, seed: SEED, files: 6, maxRows: 3000, posts: 200, keep: true });
  }, 240_000);

  afterAll(() => {
    if (result && result.violations.length === 0) rmSync(result.dataDir, { recursive: true, force: true });
  });

  it('loses and doubles nothing while SIGKILLed mid-ingest, mid-POST and mid-delivery', () => {
    // Assess: every check of the script passed...
    expect(result.violations, `data dir kept at ${result.dataDir}`).toEqual([]);
    // ...after kills that really landed in the middle of work
    expect(result.kills).toHaveLength(KILLS);
    expect(result.kills[0]?.during).toContain('ingest');
    expect(result.resumed).toBeGreaterThanOrEqual(1);
    expect(result.starts).toBe(KILLS + 1);
    // ...on a workload that exercised every path the checks cover
    const end = result.end;
    expect(end).toBeDefined();
    expect(end?.files.failed).toBe(1);
    expect(end?.rows.rejected).toBeGreaterThan(0);
    expect(end?.rows.duplicates).toBeGreaterThan(0);
    expect(end?.postDecisions).toBeGreaterThan(0);
    expect(end?.alerts).toBeGreaterThan(0);
    expect(end?.webhook.delivered).toBe(end?.alerts);
    expect(result.api.labels.length).toBeGreaterThan(0);
  });

  it('reports a lost decision, a doubled alert, an undelivered alert, a wrong answer and a leftover file', () => {
    // Prepare: a copy of the end state, broken in five ways
    const t = tempDir();
    try {
      cpSync(result.dataDir, t.dir, { recursive: true });
      const db = new Database(join(t.dir, 'fraudmini.db'));
      const lost = db.prepare('SELECT transaction_id FROM transactions WHERE file_id IS NOT NULL LIMIT 1').pluck().get() as string;
      db.prepare('DELETE FROM transactions WHERE transaction_id = ?').run(lost);
      const firstAlert = db.prepare('SELECT min(id) FROM alerts').pluck().get() as number;
      db.close();
      const jsonl = join(t.dir, 'alerts.jsonl');
      appendFileSync(jsonl, `${readFileSync(jsonl, 'utf8').split('\n')[0]}\n`);
      writeFileSync(join(t.dir, 'inbox', 'left.csv'), 'transaction_id\n');
      const webhook = result.checked.webhook.filter((r) => !r.ids.includes(firstAlert));
      const answers = new Map(result.checked.api.answers);
      const [postId, postAnswers] = [...answers].find(([, a]) => a.length > 0) ?? ['', []];
      answers.set(postId, postAnswers.map((a) => ({ ...a, score: a.score + 1 })));

      // Act
      const { violations } = verify({ ...result.checked, dataDir: t.dir, webhook, api: { ...result.checked.api, answers } });

      // Assess
      const text = violations.join('\n');
      expect(text).toContain(`(${lost}) has no decision`);
      expect(text).toMatch(/receipt says \d+ decided, the database holds/);
      expect(text).toContain(`alerts.jsonl holds alert ${firstAlert} twice`);
      expect(text).toContain(`alert ${firstAlert} never reached the webhook`);
      expect(text).toContain(`POST ${postId} was answered`);
      expect(text).toContain('inbox/ still holds left.csv');
    } finally {
      t.cleanup();
    }
  });
});
