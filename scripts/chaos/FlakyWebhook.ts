import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Sfc32 } from '../../src/synth/random.js';

/** What the receiver did with one request. */
export type WebhookFate = 'ok' | 'error500' | 'reset' | 'hang' | 'unreadable';

/** One request the receiver got. */
export interface WebhookRequest {
  /** Alert ids in the body (empty when the body could not be read whole). */
  ids: number[];
  fate: WebhookFate;
  /** Received while the receiver was healthy (after the chaos). */
  healthy: boolean;
}

/**
 * A webhook receiver that fails part of the time while `healthy` is false: it answers 500,
 * resets the connection, or never answers (the sender's timeout ends the request). Healthy, it
 * answers 200 to everything. It logs every request, and `onRequest` lets the chaos run kill
 * fraudmini the moment a delivery arrives.
 */
export class FlakyWebhook {
  readonly log: WebhookRequest[] = [];
  healthy = false;
  /** Requests being read. */
  private reading = 0;
  onRequest: (() => void) | undefined;
  private readonly server: Server;
  private readonly hanging = new Set<ServerResponse>();

  constructor(private readonly rng: Sfc32) {
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  /** Starts listening on a free loopback port; returns the URL to give fraudmini. */
  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/alerts`;
  }

  /** Requests under way: being read, or left hanging. */
  get inFlight(): number {
    return this.reading + this.hanging.size;
  }

  /** Alert ids the receiver answered 200 for, with how many times each. */
  accepted(): Map<number, number> {
    const seen = new Map<number, number>();
    for (const r of this.log) if (r.fate === 'ok') for (const id of r.ids) seen.set(id, (seen.get(id) ?? 0) + 1);
    return seen;
  }

  /** Becomes healthy: answers every request from now on, and ends the ones left hanging. */
  heal(): void {
    this.healthy = true;
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
  }

  async close(): Promise<void> {
    this.heal();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.reading++;
    this.onRequest?.();
    const healthy = this.healthy;
    let ids: number[] = [];
    let fate: WebhookFate;
    try {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { alerts?: { id?: unknown }[] };
      ids = (body.alerts ?? []).map((a) => a.id).filter((id): id is number => typeof id === 'number');
      fate = healthy ? 'ok' : this.pickFate();
    } catch {
      // the sender went away mid-body (killed) or sent something that is not JSON
      fate = 'unreadable';
    }
    this.log.push({ ids, fate, healthy });
    switch (fate) {
      case 'ok':
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
        break;
      case 'error500':
        res.writeHead(500).end('receiver down');
        break;
      case 'reset':
        req.socket.destroy();
        break;
      case 'hang':
        this.hanging.add(res);
        res.once('close', () => this.hanging.delete(res));
        break;
      case 'unreadable':
        if (!res.destroyed) res.writeHead(400).end();
        break;
    }
    this.reading--;
  }

  private pickFate(): WebhookFate {
    const p = this.rng.float();
    if (p < 0.5) return 'ok';
    if (p < 0.7) return 'error500';
    if (p < 0.85) return 'reset';
    return 'hang';
  }
}
