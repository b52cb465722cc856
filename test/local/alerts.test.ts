import { once } from 'node:events';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { ConsoleAlertSink, formatAlert } from '../../src/adapters/local/ConsoleAlertSink.js';
import { JsonlAlertSink } from '../../src/adapters/local/JsonlAlertSink.js';
import { SqliteStateStore } from '../../src/adapters/local/SqliteStateStore.js';
import { WebhookAlertSink } from '../../src/adapters/local/WebhookAlertSink.js';
import { createPanTokenizer } from '../../src/core/pan.js';
import type { Decision, Outcome } from '../../src/core/scoring.js';
import type { Alert } from '../../src/core/views.js';
import { AlertDispatcher } from '../../src/local/AlertDispatcher.js';
import type { AlertSink } from '../../src/ports/AlertSink.js';
import type { Logger } from '../../src/ports/Logger.js';
import type { DecidedItem } from '../../src/core/records.js';
import { TEST_PANS, tempDir } from '../helpers/fixtures.js';
import { makeTx, T0, TEST_KEY } from '../helpers/transactions.js';

const tokenize = createPanTokenizer(TEST_KEY);

/** A decided item whose card is a test PAN; `review`/`block` outcomes create an alert on commit. */
function decided(n: number, outcome: Outcome): DecidedItem {
  const transactionId = `T${String(n).padStart(5, '0')}`;
  const pan = TEST_PANS[n % TEST_PANS.length] as string;
  const transaction = makeTx({
    transactionId,
    timestamp: T0 + n * 1000,
    accountId: `A${n % 3}`,
    card: tokenize(pan),
  });
  const score = outcome === 'block' ? 90 : outcome === 'review' ? 60 : 0;
  const decision: Decision = {
    transaction_id: transactionId,
    score,
    outcome,
    reasons: outcome === 'allow' ? [] : [{ rule: 'high_value', weight: score, detail: 'amount above 10000' }],
    model_score: null,
    model_version: null,
    rules_score: score,
    rules_version: 'test-1',
    decided_at: new Date(T0 + n * 1000).toISOString(),
  };
  return { transaction, decision };
}

/** Commits items `from..to` (inclusive); every third is allowed, the rest alert. */
function commitRange(store: SqliteStateStore, from: number, to: number): Promise<Alert[]> {
  const items: DecidedItem[] = [];
  for (let n = from; n <= to; n++) items.push(decided(n, n % 3 === 0 ? 'allow' : n % 3 === 1 ? 'review' : 'block'));
  return store.commit(items);
}

/** A logger that remembers what it was told. */
function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => lines.push(`info ${m}`),
    warn: (m) => lines.push(`warn ${m}`),
    error: (m) => lines.push(`error ${m}`),
  };
}

/** A writable that collects what a console sink prints. */
function captureOut(): { out: PassThrough; text: () => string } {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  return { out, text: () => Buffer.concat(chunks).toString('utf8') };
}

async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function jsonlIds(path: string): number[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => (JSON.parse(l) as Alert).id);
}

interface Received {
  status: number;
  idsHeader: string | undefined;
  body: string;
}

/** A webhook receiver on loopback that fails the first `failures` requests with 500. */
async function flakyReceiver(failures: number): Promise<{ server: Server; url: string; requests: Received[] }> {
  const requests: Received[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const status = requests.length < failures ? 500 : 200;
      const header = req.headers['x-fraudmini-alert-ids'];
      requests.push({
        status,
        idsHeader: Array.isArray(header) ? header.join(',') : header,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'down');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}/alerts`, requests };
}

function acceptedIds(requests: Received[]): number[] {
  return requests
    .filter((r) => r.status === 200)
    .flatMap((r) => (JSON.parse(r.body) as { alerts: Alert[] }).alerts.map((a) => a.id));
}

describe('AlertDispatcher', () => {
  let cleanups: (() => void | Promise<void>)[] = [];

  afterEach(async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups = [];
  });

  it('delivers every alert to a webhook that fails twice, in order, without holding up the other sinks', async () => {
    // Prepare
    const t = tempDir();
    const store = new SqliteStateStore({ path: join(t.dir, 'state.db') });
    const receiver = await flakyReceiver(2);
    const screen = captureOut();
    const jsonlPath = join(t.dir, 'alerts.jsonl');
    const logger = recordingLogger();
    const dispatcher = new AlertDispatcher({
      outbox: store,
      sinks: [
        new WebhookAlertSink({ url: receiver.url, timeoutMs: 5000 }),
        new JsonlAlertSink(jsonlPath),
        new ConsoleAlertSink({ out: screen.out, maxLines: 100 }),
      ],
      logger,
      baseBackoffMs: 10,
      maxBackoffMs: 40,
    });
    cleanups.push(
      () => dispatcher.stop(),
      () => new Promise<void>((r) => receiver.server.close(() => r())),
      () => store.close(),
      t.cleanup,
    );
    const first = await commitRange(store, 1, 9);

    // Act: one pass while the webhook is down
    await dispatcher.flush();

    // Assess: the webhook failed, the file and the console already have every alert
    expect(receiver.requests.map((r) => r.status)).toEqual([500]);
    expect(await store.deliveryCursor('webhook')).toBe(0);
    expect(jsonlIds(jsonlPath)).toEqual(first.map((a) => a.id));
    expect(await store.deliveryCursor('jsonl')).toBe(first.at(-1)?.id);
    expect(screen.text().trim().split('\n')).toHaveLength(first.length);
    expect(logger.lines.some((l) => l.startsWith('warn alert sink webhook failed (webhook answered 500)'))).toBe(true);

    // Act: more alerts arrive while it is still backing off; the dispatcher keeps retrying
    const second = await commitRange(store, 10, 15);
    dispatcher.start(5);
    const all = [...first, ...second].map((a) => a.id);
    await waitFor(async () => (await store.deliveryCursor('webhook')) === all.at(-1), 'the webhook to catch up');

    // Assess: nothing lost, nothing twice, in id order, after exactly two failures
    expect(all).toHaveLength(10);
    expect(receiver.requests.filter((r) => r.status === 500)).toHaveLength(2);
    expect(acceptedIds(receiver.requests)).toEqual(all);
    expect(await store.deliveryCursor('webhook')).toBe(all.at(-1));
    const ok = receiver.requests.filter((r) => r.status === 200);
    for (const r of ok) {
      const ids = (JSON.parse(r.body) as { alerts: Alert[] }).alerts.map((a) => a.id);
      expect(r.idsHeader).toBe(`${ids[0]}-${ids.at(-1)}`);
    }
    expect(jsonlIds(jsonlPath)).toEqual(all);
    expect(screen.text().trim().split('\n')).toHaveLength(all.length);
    expect(logger.lines).toContain('info alert sink webhook recovered');
  });

  it('flush waits for a delivery already under way and then delivers what arrived meanwhile', async () => {
    // Prepare: a sink whose first delivery is held open until released
    const store = new SqliteStateStore({ path: ':memory:' });
    cleanups.push(() => store.close());
    let release = (): void => {};
    const held = new Promise<void>((r) => {
      release = r;
    });
    const delivered: number[] = [];
    let calls = 0;
    const slow: AlertSink = {
      name: 'slow',
      async deliver(alerts) {
        calls++;
        if (calls === 1) await held;
        delivered.push(...alerts.map((a) => a.id));
      },
    };
    const dispatcher = new AlertDispatcher({ outbox: store, sinks: [slow], logger: recordingLogger() });
    const first = await commitRange(store, 1, 3);
    dispatcher.kick();
    await waitFor(() => calls === 1, 'the first delivery to start');
    const second = await commitRange(store, 4, 6);

    // Act
    let flushed = false;
    const flushing = dispatcher.flush().then(() => {
      flushed = true;
    });
    await new Promise((r) => setImmediate(r));
    const flushedBeforeRelease = flushed;
    release();
    await flushing;

    // Assess
    expect(flushedBeforeRelease).toBe(false);
    const all = [...first, ...second].map((a) => a.id);
    expect(delivered).toEqual(all);
    expect(await store.deliveryCursor('slow')).toBe(all.at(-1));
  });

  it('does not move a sink cursor when its delivery throws', async () => {
    // Prepare
    const store = new SqliteStateStore({ path: ':memory:' });
    cleanups.push(() => store.close());
    const failing: AlertSink = {
      name: 'broken',
      async deliver() {
        throw new Error('disk full');
      },
    };
    const logger = recordingLogger();
    const dispatcher = new AlertDispatcher({ outbox: store, sinks: [failing], logger, baseBackoffMs: 10 });
    await commitRange(store, 1, 4);

    // Act
    await dispatcher.flush();

    // Assess
    expect(await store.deliveryCursor('broken')).toBe(0);
    expect(logger.lines.some((l) => l.includes('alert sink broken failed (disk full)'))).toBe(true);
  });
});

describe('JsonlAlertSink', () => {
  let cleanup = (): void => {};
  afterEach(() => cleanup());

  it('writes each alert once when a restarted sink is handed alerts it already wrote', async () => {
    // Prepare
    const t = tempDir();
    cleanup = t.cleanup;
    const store = new SqliteStateStore({ path: ':memory:' });
    const alerts = await commitRange(store, 1, 12);
    store.close();
    const path = join(t.dir, 'alerts.jsonl');
    await new JsonlAlertSink(path).deliver(alerts.slice(0, 5));

    // Act: a crash before the cursor was saved; the new sink is handed everything again
    const restarted = new JsonlAlertSink(path);
    await restarted.deliver(alerts);
    await restarted.deliver(alerts.slice(6));

    // Assess
    expect(jsonlIds(path)).toEqual(alerts.map((a) => a.id));
    const written = readFileSync(path, 'utf8').trim().split('\n');
    expect(JSON.parse(written[0] ?? '')).toEqual(alerts[0]);
  });

  it('tolerates a torn last line: every line parses and each alert is there once', async () => {
    // Prepare: the process died half-way through appending alert 3
    const t = tempDir();
    cleanup = t.cleanup;
    const store = new SqliteStateStore({ path: ':memory:' });
    const alerts = await commitRange(store, 1, 6);
    store.close();
    const path = join(t.dir, 'alerts.jsonl');
    await new JsonlAlertSink(path).deliver(alerts.slice(0, 2));
    appendFileSync(path, JSON.stringify(alerts[2]).slice(0, 25));

    // Act
    await new JsonlAlertSink(path).deliver(alerts);

    // Assess
    expect(jsonlIds(path)).toEqual(alerts.map((a) => a.id));
  });

  it('keeps a complete last line that only lacks its newline', async () => {
    // Prepare
    const t = tempDir();
    cleanup = t.cleanup;
    const store = new SqliteStateStore({ path: ':memory:' });
    const alerts = await commitRange(store, 1, 6);
    store.close();
    const path = join(t.dir, 'alerts.jsonl');
    writeFileSync(path, `${JSON.stringify(alerts[0])}\n${JSON.stringify(alerts[1])}`);

    // Act
    await new JsonlAlertSink(path).deliver(alerts);

    // Assess
    expect(jsonlIds(path)).toEqual(alerts.map((a) => a.id));
  });
});

describe('ConsoleAlertSink', () => {
  it('prints up to maxLines alerts and summarises the rest in one line', async () => {
    // Prepare
    const store = new SqliteStateStore({ path: ':memory:' });
    const alerts = await commitRange(store, 1, 30);
    store.close();
    const { out, text } = captureOut();
    const sink = new ConsoleAlertSink({ out, maxLines: 5 });

    // Act
    await sink.deliver(alerts);

    // Assess
    const lines = text().trim().split('\n');
    expect(alerts).toHaveLength(20);
    expect(lines).toHaveLength(6);
    expect(lines.slice(0, 5)).toEqual(alerts.slice(0, 5).map(formatAlert));
    expect(lines[5]).toBe('ALERT ... and 15 more (all in alerts.jsonl and GET /alerts)');
  });

  it('prints no summary when the alerts fit', async () => {
    // Prepare
    const store = new SqliteStateStore({ path: ':memory:' });
    const alerts = await commitRange(store, 1, 4);
    store.close();
    const { out, text } = captureOut();

    // Act
    await new ConsoleAlertSink({ out, maxLines: alerts.length }).deliver(alerts);

    // Assess
    expect(text()).toBe(alerts.map((a) => `${formatAlert(a)}\n`).join(''));
    expect(text()).toMatch(/^ALERT review score=60\.0 tx=T00001 account=A1 card=555555\*{6}4444 amount=123\.45 USD/);
  });
});

describe('alert payloads', () => {
  let cleanups: (() => void | Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups = [];
  });

  it('carry no card number anywhere: outbox, webhook body, JSONL file, console', async () => {
    // Prepare: one alerting transaction per test PAN
    const t = tempDir();
    const store = new SqliteStateStore({ path: join(t.dir, 'state.db') });
    const receiver = await flakyReceiver(0);
    const { out, text } = captureOut();
    const jsonlPath = join(t.dir, 'alerts.jsonl');
    const dispatcher = new AlertDispatcher({
      outbox: store,
      sinks: [
        new WebhookAlertSink({ url: receiver.url }),
        new JsonlAlertSink(jsonlPath),
        new ConsoleAlertSink({ out }),
      ],
      logger: recordingLogger(),
      baseBackoffMs: 10,
    });
    cleanups.push(
      () => new Promise<void>((r) => receiver.server.close(() => r())),
      () => store.close(),
      t.cleanup,
    );
    const items = TEST_PANS.map((_, i) => decided(i * 3 + 1, 'review'));

    // Act
    const alerts = await store.commit(items);
    await dispatcher.flush();

    // Assess
    expect(alerts).toHaveLength(TEST_PANS.length);
    const outputs = {
      outbox: JSON.stringify(await store.listAlerts({ afterId: 0, limit: 100 })),
      webhook: receiver.requests.map((r) => r.body).join('\n'),
      jsonl: readFileSync(jsonlPath, 'utf8'),
      console: text(),
      database: ['state.db', 'state.db-wal']
        .filter((f) => existsSync(join(t.dir, f)))
        .map((f) => readFileSync(join(t.dir, f)).toString('latin1'))
        .join(''),
    };
    expect(acceptedIds(receiver.requests)).toEqual(alerts.map((a) => a.id));
    for (const [where, body] of Object.entries(outputs)) {
      for (const pan of TEST_PANS) expect(body.includes(pan), `${pan} in ${where}`).toBe(false);
    }
    for (const pan of TEST_PANS) {
      const masked = `${pan.slice(0, 6)}${'*'.repeat(pan.length - 10)}${pan.slice(-4)}`;
      expect(outputs.jsonl).toContain(masked);
      expect(outputs.console).toContain(masked);
    }
  });
});
