import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { loadModel } from '../../src/core/model/model.js';
import { BUNDLED_RULES } from '../../src/local/wiring.js';
import { builtBin, runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/fixtures.js';
import { labelledCsv, labelledHistory } from '../helpers/labelledHistory.js';

const DAY = 86_400_000;

/** A running `fraudmini start`, its printed start-up text, and the API address from it. */
interface Started {
  child: ChildProcess;
  banner: string;
  address: string;
}

async function start(dataDir: string, extra: string[] = []): Promise<Started> {
  const child = spawn(process.execPath, [builtBin(), 'start', '--data-dir', dataDir, '--port', '0', ...extra], {
    env: { ...process.env, FRAUDMINI_POLL_MS: '50', FRAUDMINI_BATCH_SIZE: '300' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  await waitFor(() => /Stop with Ctrl-C/.test(out) || child.exitCode !== null, 'start-up');
  if (child.exitCode !== null) throw new Error(`start exited ${child.exitCode}: ${err}`);
  const address = /API\s+(http:\/\/\S+)/.exec(out)?.[1] ?? '';
  return { child, banner: out, address };
}

/**
 * Stops a running `fraudmini start` with SIGTERM; resolves with how it ended (`0`, another code,
 * or the signal that ended it). A process that has ended already (by a code or by a signal) is
 * not waited for again: its exit event has been and gone.
 */
async function stop(s: Started): Promise<number | NodeJS.Signals> {
  const ended = (): number | NodeJS.Signals | undefined => s.child.exitCode ?? s.child.signalCode ?? undefined;
  const before = ended();
  if (before !== undefined) return before;
  const exited = new Promise<void>((r) => s.child.once('exit', () => r()));
  s.child.kill('SIGTERM');
  await exited;
  return ended() ?? 'SIGTERM';
}

async function waitFor(check: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Drops a CSV into the inbox (written aside, then renamed) and waits for its receipt. */
async function drop(dataDir: string, name: string, csv: string): Promise<void> {
  writeFileSync(join(dataDir, `${name}.part`), csv);
  renameSync(join(dataDir, `${name}.part`), join(dataDir, 'inbox', name));
  await waitFor(() => existsSync(join(dataDir, 'processed', name.replace(/\.csv$/, '.receipt.json'))), `the receipt of ${name}`);
}

describe('shadow challengers and retraining from the store, as a user runs them', () => {
  const running: Started[] = [];
  let cleanup = () => {};

  afterEach(async () => {
    for (const s of running.splice(0)) await stop(s);
    cleanup();
  });

  it('trains from the data dir, runs the model and candidate rules in shadow, compares and promotes them', async () => {
    // Prepare: 30 days of labelled traffic, the first 20 days stored by a start without a model
    const t = tempDir();
    cleanup = t.cleanup;
    const data = join(t.dir, 'data');
    const history = labelledHistory({ days: 30, perDay: 60 });
    const split = history.start + 20 * DAY;
    const before = history.rows.filter((r) => r.timestamp < split);
    const after = history.rows.filter((r) => r.timestamp >= split);
    const first = await start(data);
    running.push(first);
    await drop(data, 'first.csv', labelledCsv(before));
    await stop(first);
    const candidate = JSON.parse(readFileSync(BUNDLED_RULES, 'utf8')) as Record<string, unknown>;
    writeFileSync(join(t.dir, 'candidate.json'), JSON.stringify({ ...candidate, version: 'candidate-7', thresholds: { review: 20, block: 80 } }));

    // Act 1: train on what the data dir holds
    const trained = await runCli(['train', '--from-db', '--data-dir', data, '--label-delay', '1d', '--trees', '30', '--out', join(t.dir, 'model.json')], t.dir);

    // Assess 1
    expect(trained.code, trained.stderr).toBe(0);
    const model = loadModel(JSON.parse(readFileSync(join(t.dir, 'model.json'), 'utf8')));
    const labelledBefore = before.filter((r) => r.label !== undefined);
    expect(trained.stderr).toContain(`trained on ${labelledBefore.length.toLocaleString('en-US')} labelled rows`);

    // Act 2: the model and the candidate rules in shadow over the next 10 days
    const second = await start(data, ['--shadow-model', join(t.dir, 'model.json'), '--shadow-rules', join(t.dir, 'candidate.json')]);
    running.push(second);
    await drop(data, 'second.csv', labelledCsv(after));
    const live = (await (await fetch(`${second.address}/stats/shadow`)).json()) as Record<string, unknown>;
    await stop(second);
    const compared = await runCli(['compare', '--data-dir', data, '--json'], t.dir);

    // Assess 2: every transaction of the second file decided in shadow, none of the first
    expect(second.banner).toContain(`shadow    rules candidate-7 with model ${model.version}`);
    expect(compared.code, compared.stderr).toBe(0);
    const c = JSON.parse(compared.stdout) as {
      challenger: unknown;
      rows: number;
      labelled: number;
      frauds: number;
      in_force: { flagged: number; recall: number };
      shadow: { flagged: number; recall: number };
    };
    expect(c.challenger).toEqual({ rules_version: 'candidate-7', model_version: model.version });
    expect(c.rows).toBe(after.length);
    expect(c.labelled).toBe(after.filter((r) => r.label !== undefined).length);
    expect(c.frauds).toBe(after.filter((r) => r.label === 1).length);
    expect(live).toEqual(JSON.parse(compared.stdout));
    const db = new Database(join(data, 'fraudmini.db'), { readonly: true });
    try {
      // the decisions in force are the rules' alone, and only they raised alerts
      expect(db.prepare('SELECT count(*) FROM transactions WHERE model_version IS NOT NULL').pluck().get()).toBe(0);
      const flagged = db.prepare(`SELECT count(*) FROM transactions WHERE outcome != 'allow'`).pluck().get() as number;
      expect(db.prepare('SELECT count(*) FROM alerts').pluck().get()).toBe(flagged);
      expect(db.prepare('SELECT count(*) FROM shadow_decisions WHERE model_score IS NULL').pluck().get()).toBe(0);
    } finally {
      db.close();
    }
    expect(c.shadow.recall).toBeGreaterThan(c.in_force.recall);

    // Act 3: promote, then start again without flags
    const promoted = await runCli(['promote', '--data-dir', data], t.dir);
    const third = await start(data);
    running.push(third);
    const rules = (await (await fetch(`${third.address}/rules`)).json()) as { version: string };
    const audit = new Database(join(data, 'fraudmini.db'), { readonly: true });
    const change = audit.prepare('SELECT credential, version FROM rules_audit ORDER BY id DESC LIMIT 1').get();
    audit.close();

    // Assess 3: the candidate rules in force (audited), the model loaded from the data dir
    expect(promoted.code, promoted.stderr).toBe(0);
    expect(rules.version).toBe('candidate-7');
    expect(promoted.stdout).toContain('rules candidate-7 are in force');
    expect(change).toEqual({ credential: 'fraudmini promote', version: 'candidate-7' });
    expect(third.banner).toContain(`model     ${model.version}`);
    expect(third.banner).not.toContain('shadow    ');
  }, 180_000);

  it('refuses to promote on a data dir where no challenger ever ran, and changes nothing', async () => {
    // Prepare: a data dir with its database and rules, never started with a challenger
    const t = tempDir();
    cleanup = t.cleanup;
    const data = join(t.dir, 'data');
    const first = await start(data);
    running.push(first);
    expect(await stop(first)).toBe(0);
    const rulesBefore = readFileSync(join(data, 'rules.json'), 'utf8');

    // Act
    const promoted = await runCli(['promote', '--data-dir', data], t.dir);

    // Assess
    expect(promoted.code).not.toBe(0);
    expect(promoted.stderr).toContain(`no challenger has run on ${data}: start one with fraudmini start --shadow-rules FILE and/or --shadow-model FILE`);
    expect(readFileSync(join(data, 'rules.json'), 'utf8')).toBe(rulesBefore);
    expect(existsSync(join(data, 'model.json'))).toBe(false);
  }, 60_000);
});
