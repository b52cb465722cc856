/**
 * The PAN canary suite, local runtime: every canary of panShapes.ts through every local entry
 * point — files dropped into the inbox of a real `fraudmini start` (named like card numbers, card
 * numbers in headers, values, rejected fields and a file that fails), the HTTP API (POST, labels,
 * reads, PUT /rules) and `fraudmini score` — then every artefact is searched for any of them:
 * the SQLite database and its WAL, processed/, failed/, receipts, alerts.jsonl, every file name,
 * stdout and stderr, every API reply and every webhook body. Runs the built CLI (`npm run build`).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/fixtures.js';
import {
  canaries,
  canaryBrokenCsv,
  canaryCsv,
  canaryFileNames,
  canaryNamedCsv,
  canaryRequests,
  leakedPans,
} from './panShapes.js';

const shapes = canaries();
const pans = shapes.map((c) => c.pan);


/** The admin credential rule changes need (PUT /rules). */
const ADMIN_KEY = 'canary-admin-key-0123456789';
/** Every file name and every file's bytes (as UTF-8) under `dir`, one text. */
function everythingUnder(dir: string): { text: string; files: string[] } {
  const files: string[] = [];
  const parts: string[] = [];
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    parts.push(path);
    if (entry.isFile()) {
      files.push(path);
      parts.push(readFileSync(path).toString('utf8'));
    }
  }
  return { text: parts.join('\n'), files };
}

/** Polls `check` every 50 ms until it holds or `ms` pass. */
async function until(check: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out waiting for the runtime');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('PAN canaries through the local runtime and the CLI', () => {
  let tmp: ReturnType<typeof tempDir>;
  let dataDir: string;
  let child: ChildProcess;
  let webhook: Server;
  const webhookBodies: string[] = [];
  let stdout = '';
  let stderr = '';
  const replies: { status: number; body: string; expect: readonly number[]; what: string }[] = [];
  let stats: { decisions: number; alerts: number; files: { processed: number; failed: number } };
  const fileNames = canaryFileNames(shapes);
  const cli = { stdout: '', stderr: '', outputs: '', code: -1 };
  let live: ReturnType<typeof everythingUnder>;

  beforeAll(async () => {
    tmp = tempDir('fraudmini-canary-');
    dataDir = join(tmp.dir, 'data');
    webhook = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString('utf8');
      });
      req.on('end', () => {
        webhookBodies.push(body);
        res.writeHead(204).end();
      });
    });
    webhook.listen(0, '127.0.0.1');
    await once(webhook, 'listening');
    const hook = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/alerts`;

    // Prepare: the runtime, with no FRAUDMINI_* settings from outside
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('FRAUDMINI_')) env[k] = v;
    child = spawn(process.execPath, [BIN, 'start', '--data-dir', dataDir, '--port', '0', '--webhook', hook], {
      env: { ...env, FRAUDMINI_POLL_MS: '50', FRAUDMINI_ADMIN_KEY: ADMIN_KEY },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (c: Buffer) => {
      stdout += c.toString('utf8');
    });
    child.stderr?.on('data', (c: Buffer) => {
      stderr += c.toString('utf8');
    });
    await until(() => /API\s+http:\/\/\S+/.test(stdout));
    const api = /API\s+(http:\/\/\S+)/.exec(stdout)?.[1] as string;

    // Act: files into the inbox, each written beside it and renamed in whole
    const drop = (name: string, csv: string): void => {
      const staged = join(dataDir, `.staged-${replies.length}-${Math.random()}`);
      writeFileSync(staged, csv);
      renameSync(staged, join(dataDir, 'inbox', name));
    };
    mkdirSync(join(dataDir, 'inbox'), { recursive: true });
    drop('content.csv', canaryCsv(shapes));
    drop('broken.csv', canaryBrokenCsv(shapes));
    for (const [i, name] of fileNames.entries()) drop(name, canaryNamedCsv(i));

    // Act: every API request
    for (const r of canaryRequests(shapes)) {
      const res = await fetch(`${api}${r.path}`, {
        method: r.method,
        headers: {
          ...(r.body !== undefined || r.raw !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(r.method === 'PUT' ? { 'x-admin-key': ADMIN_KEY } : {}),
        },
        body: r.raw ?? (r.body === undefined ? undefined : JSON.stringify(r.body)),
      });
      replies.push({ status: res.status, body: await res.text(), expect: r.expect, what: `${r.method} ${r.path}` });
    }

    // Act: wait for every file, then for the webhook to have every alert
    const files = fileNames.length + 2;
    await until(async () => {
      stats = (await (await fetch(`${api}/stats`)).json()) as typeof stats;
      return stats.files.processed + stats.files.failed === files;
    });
    const delivered = (): number => webhookBodies.reduce((n, b) => n + (JSON.parse(b) as { alerts: unknown[] }).alerts.length, 0);
    await until(() => delivered() >= stats.alerts);
    for (const path of ['/alerts?limit=1000', '/stats']) {
      const res = await fetch(`${api}${path}`);
      replies.push({ status: res.status, body: await res.text(), expect: [200], what: `GET ${path}` });
    }
    // The database's WAL while the runtime is up (stopping checkpoints it away)
    live = everythingUnder(dataDir);
    child.kill('SIGTERM');
    await once(child, 'exit');

    // Act: `fraudmini score` on the same content, under a canary name, to JSONL and CSV
    const named = fileNames[0] as string;
    const inputDir = join(tmp.dir, 'input');
    const outDir = join(tmp.dir, 'out');
    mkdirSync(inputDir);
    mkdirSync(outDir);
    writeFileSync(join(inputDir, named), canaryCsv(shapes, 's'));
    for (const out of ['decisions.jsonl', 'decisions.csv']) {
      const args = ['score', join(inputDir, named), '--out', join(outDir, out), '--no-progress'];
      args.push('--data-dir', join(tmp.dir, 'cli-data'));
      const run = await runCli(args, tmp.dir);
      cli.stdout += run.stdout;
      cli.stderr += run.stderr;
      cli.code = Math.max(cli.code, run.code);
    }
    cli.outputs = everythingUnder(outDir).text + everythingUnder(join(tmp.dir, 'cli-data')).text;
  });

  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    webhook?.close();
    tmp?.cleanup();
  });

  it('processed every file and answered every request as expected (the canaries went in)', () => {
    expect(stats.files).toMatchObject({ processed: fileNames.length + 1, failed: 1 });
    expect(stats.decisions).toBeGreaterThan(shapes.length * 2);
    expect(stats.alerts).toBeGreaterThan(shapes.length);
    for (const r of replies) expect(r.expect, `${r.what} answered ${r.status}: ${r.body.slice(0, 200)}`).toContain(r.status);
    expect(cli.code).toBe(0);
  });

  it('leaves no card number in the database and its WAL, processed/, failed/, receipts, alerts.jsonl or any file name', () => {
    // Act
    const { text, files } = everythingUnder(dataDir);

    // Assess: the places exist and hold masked cards, and no canary
    expect(live.files.some((f) => f.endsWith('fraudmini.db-wal'))).toBe(true);
    expect(leakedPans(live.text, pans)).toEqual([]);
    expect(files.some((f) => f.endsWith('fraudmini.db'))).toBe(true);
    expect(files.some((f) => f.endsWith('alerts.jsonl'))).toBe(true);
    expect(files.filter((f) => f.includes(`${join(dataDir, 'processed')}`)).length).toBe((fileNames.length + 1) * 2);
    expect(files.filter((f) => f.includes(`${join(dataDir, 'failed')}`)).length).toBe(2);
    expect(text).toContain('******');
    expect(leakedPans(text, pans)).toEqual([]);
  });

  it('never writes a card number to stdout, stderr or the log', () => {
    expect(stdout).toContain('fraudmini');
    expect(stderr).toContain('processing');
    expect(leakedPans(stdout + stderr, pans)).toEqual([]);
  });

  it('never returns a card number in an API reply', () => {
    expect(leakedPans(replies.map((r) => r.body).join('\n'), pans)).toEqual([]);
  });

  it('never sends a card number to the webhook', () => {
    expect(webhookBodies.length).toBeGreaterThan(0);
    expect(leakedPans(webhookBodies.join('\n'), pans)).toEqual([]);
  });

  it('fraudmini score writes no card number to its decisions, receipt, stdout or stderr', () => {
    expect(cli.outputs).toContain('******');
    expect(leakedPans(cli.outputs + cli.stdout + cli.stderr, pans)).toEqual([]);
  });
});
