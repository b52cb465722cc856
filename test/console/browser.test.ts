/**
 * The analyst console in a real headless Chromium (Debian's `chromium`, driven by playwright-core)
 * against a real `fraudmini start` process on a temporary data dir: sign in, drop the sample file,
 * see its alerts arrive without a reload, open one, mark it Fraud, and check the label through the
 * API; then work a case from an alert up to closing it as fraud. `CONSOLE_SCREENSHOTS=1` also writes the screenshots docs/console.md shows.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLED_SAMPLE } from '../../src/local/wiring.js';
import { builtBin, ROOT } from '../helpers/cli.js';
import { tempDir } from '../helpers/fixtures.js';
import { leakedPans } from '../security/panShapes.js';

const CHROMIUM = '/usr/bin/chromium';
const API_KEY = 'browser-test-api-key-0123456789';
const PASSWORD = 'analyst password 1';
const SCREENSHOTS = process.env.CONSOLE_SCREENSHOTS === '1' ? join(ROOT, 'docs/console') : undefined;

/** The environment of a child: this one's, without FRAUDMINI_* variables, plus `extra`. */
function childEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('FRAUDMINI_')) env[k] = v;
  return { ...env, ...extra };
}

function addUser(dataDir: string, name: string, role: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [builtBin(), 'users', 'add', name, '--role', role, '--data-dir', dataDir],
      { env: childEnv({ FRAUDMINI_PASSWORD: PASSWORD }), timeout: 60_000 },
      (error, _stdout, stderr) => (error ? reject(new Error(`users add failed: ${stderr}`)) : resolve()),
    );
  });
}

/** Starts `fraudmini start` on a free port; resolves with its address once it listens. */
function startServer(dataDir: string): Promise<{ child: ChildProcess; address: string }> {
  const child = spawn(process.execPath, [builtBin(), 'start', '--data-dir', dataDir, '--port', '0'], {
    env: childEnv({ FRAUDMINI_API_KEY: API_KEY, FRAUDMINI_POLL_MS: '100' }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /API\s+(http:\/\/[\d.]+:\d+)/.exec(out);
      if (m?.[1]) resolve({ child, address: m[1] });
    });
    child.once('exit', (code) => reject(new Error(`fraudmini start exited with ${code}: ${err}`)));
  });
}

/** The card numbers of the sample file: none of them may ever reach the browser. */
function samplePans(): string[] {
  const [header, ...rows] = readFileSync(BUNDLED_SAMPLE, 'utf8').trim().split('\n');
  const col = (header ?? '').split(',').indexOf('card_number');
  return [...new Set(rows.map((r) => r.split(',')[col] ?? '').filter((p) => /^\d{12,19}$/.test(p)))];
}

/** `GET /stats` once a file has been processed. */
async function waitForProcessedFile(address: string): Promise<{ transactions: number }> {
  for (;;) {
    const stats = (await (await fetch(`${address}/stats`, { headers: { 'x-api-key': API_KEY } })).json()) as {
      transactions: number;
      files: { processed: number };
    };
    if (stats.files.processed > 0) return stats;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The decisions each bar of the score chart counts, lowest scores first. */
function barCounts(p: Page): Promise<number[]> {
  return p.locator('#score-chart rect.bar').evaluateAll((bars) => bars.map((b) => Number(b.getAttribute('data-count'))));
}

describe('analyst console in a real browser', () => {
  let dir: string;
  let cleanup: () => void;
  let server: { child: ChildProcess; address: string };
  let browser: Browser;
  let page: Page;
  /** Every response body the pages received (the event stream's excepted: it does not end). */
  const bodies: Promise<string>[] = [];
  const record = (p: Page) =>
    p.on('response', (r) => {
      if (!(r.headers()['content-type'] ?? '').includes('text/event-stream')) bodies.push(r.text().catch(() => ''));
    });

  /** Opens the console in `p` and signs in as `name`. */
  const signIn = async (p: Page, name: string) => {
    await p.goto(server.address);
    await p.getByLabel('Username').fill(name);
    await p.getByLabel('Password').fill(PASSWORD);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.getByRole('table', { name: 'Review queue' }).waitFor();
  };
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${server.address}${path}`, { ...init, headers: { 'x-api-key': API_KEY, 'content-type': 'application/json', ...init.headers } });

  beforeAll(async () => {
    ({ dir, cleanup } = tempDir());
    await addUser(dir, 'ana', 'analyst');
    await addUser(dir, 'root', 'admin');
    server = await startServer(dir);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1680, height: 1000 } });
    record(page);
  });

  afterAll(async () => {
    await browser?.close();
    if (server?.child.exitCode === null) {
      const exited = new Promise((r) => server.child.once('exit', r));
      server.child.kill('SIGTERM');
      await exited;
    }
    cleanup?.();
  });

  it('signs in, shows the sample file\'s alerts as they arrive, marks one Fraud, and refuses an analyst the rules', async () => {
    // Prepare: signed in, the queue empty
    await page.goto(server.address);
    await page.getByLabel('Username').fill('ana');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const queue = page.getByRole('table', { name: 'Review queue' });
    await queue.waitFor();
    await page.getByText('No alert awaits a decision.').waitFor();
    const decisions = page.getByRole('region', { name: 'Live view' }).locator('#live-decisions');
    await page.locator('#live-decisions', { hasText: /^0$/ }).waitFor();
    // The score chart drawn, every bar at 0; nothing labelled, no file in progress
    const scoreChart = page.getByRole('img', { name: 'Score distribution' });
    await scoreChart.waitFor();
    expect(await barCounts(page)).toEqual(new Array(10).fill(0));
    await page.getByText('No alert labelled yet.').waitFor();
    await page.getByText('No file in progress.').waitFor();
    // Marks this document: a reload would lose it.
    await page.evaluate(() => Object.assign(globalThis, { notReloaded: true }));

    // Act: the sample file dropped into the inbox (written aside, then renamed in)
    copyFileSync(BUNDLED_SAMPLE, join(dir, 'inbox', 'sample.part'));
    renameSync(join(dir, 'inbox', 'sample.part'), join(dir, 'inbox', 'transactions.csv'));

    // Assess: its alerts appear in the queue, without a reload
    const openButtons = queue.getByRole('button', { name: /^Alert \d+$/ });
    await openButtons.first().waitFor({ timeout: 30_000 });
    expect(await openButtons.count()).toBeGreaterThan(1);
    expect(await page.evaluate(() => (globalThis as { notReloaded?: boolean }).notReloaded)).toBe(true);
    // The live counters moved with them, to what the API counts once the file is done
    const stats = await waitForProcessedFile(server.address);
    expect(stats.transactions).toBeGreaterThan(0);
    await page.locator('#live-decisions', { hasText: new RegExp(`^${stats.transactions}$`) }).waitFor({ timeout: 30_000 });
    expect(await decisions.textContent()).toBe(String(stats.transactions));
    expect(Number((await page.locator('#live-dpm').textContent())?.replaceAll(',', ''))).toBeGreaterThan(0);
    // The score chart moved with them: its bars count every decision of the file, alerts at 50 and up
    await expect.poll(async () => (await barCounts(page)).reduce((a, b) => a + b, 0), { timeout: 30_000 }).toBe(stats.transactions);
    const alerting = (await barCounts(page)).slice(5).reduce((a, b) => a + b, 0);
    expect(alerting).toBeGreaterThan(0);
    expect(await scoreChart.getAttribute('aria-describedby')).toBe('score-chart-desc');
    await page.getByText(new RegExp(`^${stats.transactions} newest decisions by score: 0–10: `)).waitFor();
    if (SCREENSHOTS) {
      mkdirSync(SCREENSHOTS, { recursive: true });
      await page.screenshot({ path: join(SCREENSHOTS, 'queue.png'), fullPage: true });
    }

    // Act: open the newest alert and mark it Fraud
    const first = await openButtons.first().textContent();
    const alertId = Number(/\d+/.exec(first ?? '')?.[0]);
    await openButtons.first().click();
    const heading = page.getByRole('heading', { name: new RegExp(`^Alert ${alertId}: transaction `) });
    await heading.waitFor();
    const transactionId = /transaction (\S+)$/.exec((await heading.textContent()) ?? '')?.[1] ?? '';
    await page.getByRole('table', { name: 'Account history' }).waitFor();
    if (SCREENSHOTS) await page.screenshot({ path: join(SCREENSHOTS, 'alert.png'), fullPage: true });
    await page.getByLabel('Note', { exact: true }).fill('confirmed with the card holder');
    await page.getByRole('button', { name: 'Fraud' }).click();
    await page.getByRole('status').filter({ hasText: `Alert ${alertId} marked fraud.` }).waitFor();

    // Assess: the label through the API (the machine key), and the alert off the queue
    expect((await api(`/transactions/${transactionId}`)).status).toBe(200);
    const same = await api(`/transactions/${transactionId}/label`, { method: 'POST', body: JSON.stringify({ label: 'fraud' }) });
    expect(same.status).toBe(200);
    expect(await same.json()).toMatchObject({ transaction_id: transactionId, label: 'fraud' });
    const other = await api(`/transactions/${transactionId}/label`, { method: 'POST', body: JSON.stringify({ label: 'legit' }) });
    expect(other.status).toBe(409);
    await queue.getByRole('button', { name: `Alert ${alertId}`, exact: true }).waitFor({ state: 'detached' });
    // The precision chart moved: one labelled alert, fraud
    await page.getByText(/^1 fraud of 1 labelled alerts \(100\.0 %\)/).waitFor({ timeout: 30_000 });
    expect(await page.locator('#precision-chart circle.dot').count()).toBe(1);

    // Act: the analyst tries to publish rules from the page, with the session's token
    const put = await page.evaluate(async () => {
      const s = (await (await fetch('/session')).json()) as { csrf_token: string };
      const res = await fetch('/rules', {
        method: 'PUT',
        headers: { 'content-type': 'application/json', 'x-csrf-token': s.csrf_token },
        body: JSON.stringify({ version: 'analyst-1', rules: [{ id: 'nothing', when: 'amount < 0', weight: 1 }] }),
      });
      return { status: res.status, body: (await res.json()) as { error: string } };
    });

    // Assess: refused for the role, and no response the page got held a card number
    expect(put).toMatchObject({ status: 403, body: { error: 'forbidden' } });
    const pans = samplePans();
    expect(pans.length).toBeGreaterThan(5);
    const seen = await Promise.all(bodies);
    expect(seen.length).toBeGreaterThan(5);
    for (const body of seen) expect(leakedPans(body, pans)).toEqual([]);
  });
  it('shows a rule condition\'s error at its column as it is typed, backtests the fix, publishes it and rolls it back; an analyst cannot publish', async () => {
    // Prepare: an admin in a page of their own
    const admin = await browser.newPage({ viewport: { width: 1680, height: 1400 } });
    record(admin);
    await signIn(admin, 'root');
    const bench = admin.getByRole('region', { name: 'Rules workbench' });
    await bench.getByLabel('Rule', { exact: true }).selectOption({ label: 'high_value' });
    const condition = bench.getByRole('textbox', { name: 'Rule condition' });
    const inForce = (await (await api('/rules')).json()) as { version: string };

    // Act: a syntax error, typed
    await condition.fill('');
    await condition.pressSequentially('amount > > 12000');

    // Assess: the error with its column, a caret under it. The check runs as the condition is
    // typed, so the message can show before the last keystrokes are checked: wait for the whole text.
    await bench.getByText(/^Line 1, column 10: /).waitFor();
    expect(await condition.getAttribute('aria-invalid')).toBe('true');
    await expect.poll(() => bench.locator('#rule-problem-caret').textContent(), { timeout: 10_000 }).toBe(`amount > > 12000\n${' '.repeat(9)}^`);

    // Act: fixed, then backtested
    await condition.fill('amount > 12000');
    await admin.locator('#rule-condition:not([aria-invalid])').waitFor();
    await bench.getByRole('button', { name: 'Backtest' }).click();

    // Assess: the draft beside the rules in force
    const results = bench.getByRole('table', { name: 'Backtest: draft against the rules in force' });
    await results.getByRole('columnheader', { name: `Draft (${inForce.version}-draft)` }).waitFor();
    await results.getByRole('columnheader', { name: `In force (${inForce.version})` }).waitFor();
    expect(await results.getByRole('row', { name: /^Precision / }).count()).toBeGreaterThan(0);
    if (SCREENSHOTS) await bench.screenshot({ path: join(SCREENSHOTS, 'workbench.png') });

    // Act: published
    await bench.getByRole('button', { name: 'Publish' }).click();
    await admin.getByRole('status').filter({ hasText: `Rules ${inForce.version}-draft published.` }).waitFor();

    // Assess: in force for the API too, with the edited condition
    const published = (await (await api('/rules')).json()) as { version: string; document: { rules: { id: string; when: string }[] } };
    expect(published.version).toBe(`${inForce.version}-draft`);
    expect(published.document.rules.find((r) => r.id === 'high_value')?.when).toBe('amount > 12000');

    // Act: rolled back to the version before
    await bench.getByRole('button', { name: `Roll back to ${inForce.version}` }).click();
    await admin.getByRole('status').filter({ hasText: `Rolled back to rules ${inForce.version}.` }).waitFor();

    // Assess: the earlier set in force again, shown as such
    expect(((await (await api('/rules')).json()) as { version: string }).version).toBe(inForce.version);
    await bench.locator('#rules-active', { hasText: inForce.version }).waitFor();

    // Act: the analyst's page, reloaded, and a publish from it with the session's token
    await page.reload();
    const analystBench = page.getByRole('region', { name: 'Rules workbench' });
    await analystBench.getByRole('table', { name: 'Rule set versions' }).getByRole('row').nth(2).waitFor();
    const post = await page.evaluate(async () => {
      const s = (await (await fetch('/session')).json()) as { csrf_token: string };
      const current = (await (await fetch('/rules')).json()) as { document: unknown };
      const res = await fetch('/rules/versions', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': s.csrf_token },
        body: JSON.stringify({ document: { ...(current.document as object), version: 'analyst-2' } }),
      });
      return { status: res.status, body: (await res.json()) as { error: string } };
    });

    // Assess: no Publish or Roll back for the analyst, refused by the server, and no card number reached either page
    expect(await analystBench.getByRole('button', { name: 'Publish' }).count()).toBe(0);
    expect(await analystBench.getByRole('button', { name: /^Roll back/ }).count()).toBe(0);
    await analystBench.getByText('Only an admin may publish or roll back rules.').waitFor();
    expect(post).toMatchObject({ status: 403, body: { error: 'forbidden' } });
    expect(((await (await api('/rules')).json()) as { version: string }).version).toBe(inForce.version);
    const pans = samplePans();
    for (const body of await Promise.all(bodies)) expect(leakedPans(body, pans)).toEqual([]);
    await admin.close();
  });

  it('assigns an alert to the analyst, opens a case from it, adds a note and closes it as fraud: the label shows through the API', async () => {
    // Prepare: the analyst's page with an alert open
    await page.reload();
    const queue = page.getByRole('table', { name: 'Review queue' });
    const openButtons = queue.getByRole('button', { name: /^Alert \d+$/ });
    await openButtons.first().waitFor();
    const alertId = Number(/\d+/.exec((await openButtons.first().textContent()) ?? '')?.[0]);
    await openButtons.first().click();
    const heading = page.getByRole('heading', { name: new RegExp(`^Alert ${alertId}: transaction `) });
    await heading.waitFor();
    const transactionId = /transaction (\S+)$/.exec((await heading.textContent()) ?? '')?.[1] ?? '';

    // Act: assigned to the analyst
    await page.getByRole('button', { name: 'Assign to me' }).click();

    // Assess
    await page.getByRole('status').filter({ hasText: `Alert ${alertId} assigned to ana.` }).waitFor();
    await page.getByText('Assigned to ana.', { exact: true }).waitFor();

    // Act: a new case for the alert's account
    await page.getByLabel('Case', { exact: true }).selectOption('new-account');
    await page.getByRole('button', { name: 'Add to case' }).click();

    // Assess: the case open, listed, holding the alert
    const caseHeading = page.getByRole('heading', { name: /^Case \d+: account / });
    await caseHeading.waitFor();
    const caseId = Number(/^Case (\d+)/.exec((await caseHeading.textContent()) ?? '')?.[1]);
    await page.getByRole('table', { name: 'Cases', exact: true }).getByRole('button', { name: `Case ${caseId}`, exact: true }).waitFor();
    await page.getByRole('table', { name: 'Case alerts' }).getByRole('button', { name: `Alert ${alertId}`, exact: true }).waitFor();
    await page.getByText(`In case ${caseId}.`).waitFor();

    // Act: a note
    await page.getByLabel('Case note').fill('same address as two other cards');
    await page.getByRole('button', { name: 'Add note' }).click();

    // Assess: in the audit trail, after the case's opening
    const trail = page.getByRole('list', { name: 'Case audit trail' });
    await trail.getByText(/ ana note: same address as two other cards$/).waitFor();
    expect(await trail.getByRole('listitem').first().textContent()).toMatch(/ ana created: opened for account /);
    if (SCREENSHOTS) await page.screenshot({ path: join(SCREENSHOTS, 'cases.png'), fullPage: true });

    // Act: closed as fraud
    await page.getByLabel('New status').selectOption('closed_fraud');
    await page.getByRole('button', { name: 'Set status' }).click();

    // Assess: the label through the API (the machine key), the alert off the queue, the closing audited
    await page.getByRole('status').filter({ hasText: `Case ${caseId} closed as fraud: 1 of 1 alerts labelled.` }).waitFor();
    const tx = (await (await api(`/transactions/${transactionId}`)).json()) as { transaction: { label?: number } };
    expect(tx.transaction.label).toBe(1);
    const other = await api(`/transactions/${transactionId}/label`, { method: 'POST', body: JSON.stringify({ label: 'legit' }) });
    expect(other.status).toBe(409);
    await queue.getByRole('button', { name: `Alert ${alertId}`, exact: true }).waitFor({ state: 'detached' });
    await trail.getByText(/ ana status: investigating → closed_fraud$| ana status: open → closed_fraud$/).waitFor();
    await page.locator('#case-status', { hasText: 'closed as fraud' }).waitFor();
    // Two labelled alerts on the precision chart now, both fraud
    await page.getByText(/^2 fraud of 2 labelled alerts \(100\.0 %\)/).waitFor({ timeout: 30_000 });
    if (SCREENSHOTS) await page.getByRole('region', { name: 'Live view' }).screenshot({ path: join(SCREENSHOTS, 'live.png') });
    const pans = samplePans();
    for (const body of await Promise.all(bodies)) expect(leakedPans(body, pans)).toEqual([]);
  });
});
