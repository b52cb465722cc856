import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebhookAlertSink } from '../../src/adapters/local/WebhookAlertSink.js';
import { makeAlert } from '../helpers/alerts.js';

/** A loopback HTTP server that records every request and answers with `respond`. */
async function server(respond: (req: IncomingMessage, res: ServerResponse) => void): Promise<{
  url: string;
  requests: { method: string; body: string }[];
  connections: () => number;
  close: () => Promise<void>;
}> {
  const requests: { method: string; body: string }[] = [];
  let connections = 0;
  const s: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', body: Buffer.concat(chunks).toString('utf8') });
      respond(req, res);
    });
  });
  s.on('connection', () => connections++);
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    requests,
    connections: () => connections,
    close: async () => {
      s.closeAllConnections();
      s.close();
      await once(s, 'close');
    },
  };
}

describe('WebhookAlertSink', () => {
  const closing: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of closing.splice(0)) await c();
  });

  it.each([301, 302, 303, 307, 308])(
    'refuses a %i redirect as a failed delivery, and the redirect target receives nothing',
    async (status) => {
      // Prepare
      const attacker = await server((_, res) => res.writeHead(200).end('thanks'));
      const hook = await server((_, res) => res.writeHead(status, { location: `${attacker.url}?stolen=1` }).end());
      closing.push(attacker.close, hook.close);
      const sink = new WebhookAlertSink({ url: hook.url, timeoutMs: 5000 });

      // Act
      const delivery = sink.deliver([makeAlert({ id: 1 }), makeAlert({ id: 2, transaction_id: 'tx-2' })]);

      // Assess
      await expect(delivery).rejects.toThrow(`webhook answered ${status} (a redirect; redirects are not followed)`);
      expect(hook.requests).toHaveLength(1);
      expect(attacker.requests).toEqual([]);
    },
  );

  it('reads every answer to the end, so the deliveries reuse their connections, failed ones included', async () => {
    // Prepare: answers with bodies larger than what the client buffers unread, every third a failure
    let n = 0;
    const hook = await server((_, res) => {
      n++;
      const failing = n % 3 === 0;
      res.writeHead(failing ? 500 : 200, { 'content-type': 'text/plain' }).end(`${failing ? 'down' : 'ok'} `.repeat(10_000));
    });
    closing.push(hook.close);
    const sink = new WebhookAlertSink({ url: hook.url, timeoutMs: 5000 });
    const outcomes: string[] = [];

    // Act
    for (let id = 1; id <= 8; id++) {
      outcomes.push(await sink.deliver([makeAlert({ id })]).then(() => 'delivered', (e: Error) => e.message));
    }

    // Assess: an unread body keeps its connection busy, so each delivery would open a new one; read,
    // the connections go back to the pool (the client may open a second one while the first is
    // being released).
    expect(outcomes.filter((o) => o === 'webhook answered 500')).toHaveLength(2);
    expect(hook.requests).toHaveLength(8);
    expect(hook.connections()).toBeLessThanOrEqual(2);
  });
});
