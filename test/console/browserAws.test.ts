/**
 * The analyst console in a real headless Chromium against the AWS runtime on the emulators: a
 * local HTTP server plays CloudFront (the page's files with the console's headers from one
 * origin, every other path forwarded as an API Gateway event to the real `api` handler), and the
 * handler keeps everything in DynamoDB (dynalite). Sign in, see a POSTed transaction's alert, see
 * a new one arrive without a reload (`/events` answered at once, EventSource asking again), mark
 * one Fraud, and find the label in DynamoDB. An admin edits a rule in the workbench (the error at
 * its column), backtests, publishes and rolls back; the analyst's page offers neither.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoLabelStore } from '../../src/adapters/aws/DynamoLabelStore.js';
import { DynamoUserStore } from '../../src/adapters/aws/DynamoUserStore.js';
import { addUser } from '../../src/app/consoleAuth.js';
import { handler as apiHandler, resetApi } from '../../src/handlers/api.js';
import { useClients } from '../../src/handlers/runtime.js';
import { CONSOLE_PAGE_HEADERS } from '../../src/server/consoleHeaders.js';
import { emulatorClients } from '../aws/clients.js';
import { applyEnv, createStack, lambdaContext, type Stack } from '../aws/harness.js';
import { TEST_PAN } from '../helpers/alerts.js';
import { ROOT } from '../helpers/cli.js';

const CHROMIUM = '/usr/bin/chromium';
const PASSWORD = 'analyst password 1';
const FILES: Record<string, string> = { 'index.html': 'text/html; charset=utf-8', 'console.js': 'text/javascript; charset=utf-8', 'console.css': 'text/css; charset=utf-8' };

/** An API Gateway proxy event of a request, as the REST API hands it to the function. */
async function eventOf(req: IncomingMessage): Promise<APIGatewayProxyEvent> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const url = new URL(req.url ?? '/', 'http://console.local');
  const query: Record<string, string[]> = {};
  for (const [k, v] of url.searchParams) (query[k] ??= []).push(v);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
  return {
    httpMethod: req.method ?? 'GET',
    path: url.pathname,
    resource: url.pathname,
    headers,
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: Object.keys(query).length > 0 ? query : null,
    pathParameters: null,
    stageVariables: null,
    body: chunks.length > 0 ? Buffer.concat(chunks).toString('utf8') : null,
    isBase64Encoded: false,
    requestContext: { identity: { sourceIp: '127.0.0.1', userArn: null } } as unknown as APIGatewayProxyEvent['requestContext'],
  } as APIGatewayProxyEvent;
}

/** CloudFront's part: the page's files from one origin with the console's headers, the rest to the API. */
function startFront(): Promise<{ server: Server; address: string }> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://console.local').pathname;
    const file = path === '/' ? 'index.html' : /^\/console\/([\w.]+)$/.exec(path)?.[1];
    if (req.method === 'GET' && file !== undefined && FILES[file]) {
      res.writeHead(200, { ...CONSOLE_PAGE_HEADERS, 'content-type': FILES[file] });
      res.end(readFileSync(join(ROOT, 'console', file)));
      return;
    }
    void eventOf(req)
      .then((event) => apiHandler(event, lambdaContext()))
      .then((out) => {
        res.writeHead(out.statusCode, out.headers as Record<string, string>);
        res.end(out.body);
      })
      .catch(() => {
        res.writeHead(502);
        res.end();
      });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, address: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })));
}

/** Scores a transaction the default rules block, through the API as a client system would. */
async function postRisky(id: string): Promise<void> {
  const tx = { transaction_id: id, timestamp: new Date().toISOString(), account_id: `acc-${id}`, card_number: TEST_PAN, amount: '15000.00', account_balance: '100.00' };
  const res = await apiHandler(
    {
      httpMethod: 'POST',
      path: '/transactions',
      headers: { 'content-type': 'application/json' },
      multiValueQueryStringParameters: null,
      body: JSON.stringify(tx),
      isBase64Encoded: false,
      requestContext: { identity: { sourceIp: '203.0.113.1' } },
    } as unknown as APIGatewayProxyEvent,
    lambdaContext(),
  );
  expect(res.statusCode).toBe(201);
}

/** The id of the alert of a transaction, from the API's alert list. */
async function alertIdOf(transactionId: string): Promise<number> {
  const res = await apiHandler(
    { httpMethod: 'GET', path: '/alerts', headers: {}, multiValueQueryStringParameters: null, body: null, isBase64Encoded: false, requestContext: {} } as unknown as APIGatewayProxyEvent,
    lambdaContext(),
  );
  const found = (JSON.parse(res.body) as { alerts: { id: number; transaction_id: string }[] }).alerts.find((a) => a.transaction_id === transactionId);
  if (!found) throw new Error(`no alert for ${transactionId}`);
  return found.id;
}

/** The rule set in force, read through the API as a client system would. */
async function rulesInForce(): Promise<{ version: string; document: { rules: { id: string; when: string }[] } }> {
  const res = await apiHandler(
    { httpMethod: 'GET', path: '/rules', headers: {}, multiValueQueryStringParameters: null, body: null, isBase64Encoded: false, requestContext: {} } as unknown as APIGatewayProxyEvent,
    lambdaContext(),
  );
  return JSON.parse(res.body) as { version: string; document: { rules: { id: string; when: string }[] } };
}

describe('analyst console in a real browser, on the AWS runtime (emulators)', () => {
  const c = emulatorClients();
  let stack: Stack;
  let restoreEnv: () => void;
  let front: { server: Server; address: string };
  let browser: Browser;
  let page: Page;
  const bodies: Promise<string>[] = [];

  beforeAll(async () => {
    stack = await createStack(c);
    restoreEnv = applyEnv({ ...stack.env, POWERTOOLS_LOG_LEVEL: 'ERROR' });
    useClients(c);
    resetApi();
    const users = new DynamoUserStore({ client: c.dynamo, stateTable: stack.tables.state });
    await addUser({ users }, { name: 'ana', role: 'analyst', password: PASSWORD });
    await addUser({ users }, { name: 'root', role: 'admin', password: PASSWORD });
    front = await startFront();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1680, height: 1000 } });
    page.on('response', (r) => bodies.push(r.text().catch(() => '')));
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => front?.server.close(r));
    restoreEnv?.();
    resetApi();
  });

  it('signs in, lists an alert, shows a new one without a reload, and marks one Fraud into DynamoDB', async () => {
    // Prepare: one alert before the page opens
    await postRisky('AWS-B1');
    const first = await alertIdOf('AWS-B1');

    // Act: sign in
    await page.goto(front.address);
    await page.getByLabel('Username').fill('ana');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const queue = page.getByRole('table', { name: 'Review queue' });
    await queue.getByRole('button', { name: `Alert ${first}`, exact: true }).waitFor();

    // Act: a new alert while the page is open arrives through /events, without a reload
    await postRisky('AWS-B2');
    const second = await alertIdOf('AWS-B2');
    await queue.getByRole('button', { name: `Alert ${second}`, exact: true }).waitFor({ timeout: 30_000 });
    await page.locator('#live-decisions').filter({ hasText: /^2$/ }).waitFor({ timeout: 30_000 });

    // Act: open the first and mark it Fraud
    await queue.getByRole('button', { name: `Alert ${first}`, exact: true }).click();
    await page.getByRole('heading', { name: new RegExp(`^Alert ${first}: transaction `) }).waitFor();
    await page.getByLabel('Note', { exact: true }).fill('confirmed with the card holder');
    await page.getByRole('button', { name: 'Fraud' }).click();
    await page.getByRole('status').filter({ hasText: `Alert ${first} marked fraud.` }).waitFor();
    await queue.getByRole('button', { name: `Alert ${first}`, exact: true }).waitFor({ state: 'detached' });

    // Assess
    const label = await new DynamoLabelStore({ client: c.dynamo, stateTable: stack.tables.state }).getLabel('AWS-B1');
    expect(label?.label).toBe(1);
    const texts = await Promise.all(bodies);
    expect(texts.length).toBeGreaterThan(5);
    for (const t of texts) expect(t).not.toContain(TEST_PAN);
  });
  it('lets an admin see a rule condition\'s error at its column, backtest the fix, publish it and roll it back; the analyst\'s page cannot', async () => {
    // Prepare: an admin in a page of their own (the analyst's page from above stays signed in)
    const admin = await browser.newPage({ viewport: { width: 1680, height: 1400 } });
    admin.on('response', (r) => bodies.push(r.text().catch(() => '')));
    await admin.goto(front.address);
    await admin.getByLabel('Username').fill('root');
    await admin.getByLabel('Password').fill(PASSWORD);
    await admin.getByRole('button', { name: 'Sign in' }).click();
    const bench = admin.getByRole('region', { name: 'Rules workbench' });
    await bench.getByLabel('Rule', { exact: true }).selectOption({ label: 'high_value' });
    const condition = bench.getByRole('textbox', { name: 'Rule condition' });
    const inForce = await rulesInForce();

    // Act: a syntax error, typed
    await condition.fill('');
    await condition.pressSequentially('amount > > 12000');

    // Assess: the error at its column
    await bench.getByText(/^Line 1, column 10: /).waitFor();
    expect(await condition.getAttribute('aria-invalid')).toBe('true');

    // Act: fixed, backtested on the transactions stored above, published
    await condition.fill('amount > 12000');
    await admin.locator('#rule-condition:not([aria-invalid])').waitFor();
    await bench.getByRole('button', { name: 'Backtest' }).click();
    const results = bench.getByRole('table', { name: 'Backtest: draft against the rules in force' });
    await results.getByRole('columnheader', { name: `Draft (${inForce.version}-draft)` }).waitFor();
    await bench.getByRole('button', { name: 'Publish' }).click();
    await admin.getByRole('status').filter({ hasText: `Rules ${inForce.version}-draft published.` }).waitFor();
    const published = await rulesInForce();

    // Act: rolled back
    await bench.getByRole('button', { name: `Roll back to ${inForce.version}` }).click();
    await admin.getByRole('status').filter({ hasText: `Rolled back to rules ${inForce.version}.` }).waitFor();

    // Act: the analyst's page, reloaded
    await page.reload();
    const analystBench = page.getByRole('region', { name: 'Rules workbench' });
    await analystBench.getByRole('table', { name: 'Rule set versions' }).getByRole('row').nth(2).waitFor();

    // Assess
    expect(published.version).toBe(`${inForce.version}-draft`);
    expect(published.document.rules.find((r) => r.id === 'high_value')?.when).toBe('amount > 12000');
    expect((await rulesInForce()).version).toBe(inForce.version);
    await analystBench.getByText('Only an admin may publish or roll back rules.').waitFor();
    expect(await analystBench.getByRole('button', { name: 'Publish' }).count()).toBe(0);
    expect(await analystBench.getByRole('button', { name: /^Roll back/ }).count()).toBe(0);
    for (const t of await Promise.all(bodies)) expect(t).not.toContain(TEST_PAN);
    await admin.close();
  });
});
