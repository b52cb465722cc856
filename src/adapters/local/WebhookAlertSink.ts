import type { Alert } from '../../core/views.js';
import type { AlertSink } from '../../ports/AlertSink.js';

/** Options of {@link WebhookAlertSink}. */
export interface WebhookAlertSinkOptions {
  url: string;
  /** Per-request timeout. @default 5000 */
  timeoutMs?: number;
  /** Alerts per request. @default 100 */
  batchSize?: number;
}

/** Most bytes of an answer's body read (and thrown away) to keep its connection; more and the connection is closed. */
const MAX_DRAINED_BYTES = 64 * 1024;

/**
 * POSTs alerts as `{"alerts":[...]}`. Delivery is at least once: a failed request is retried
 * by the dispatcher with backoff, so receivers should de-duplicate on `alerts[].id` (also sent as
 * the `x-fraudmini-alert-ids` header range).
 *
 * Redirects are not followed: a 3xx is a failed delivery, retried like any other. Whoever can make
 * the receiver (or something in front of it) answer with a redirect would otherwise choose where
 * alerts go, and a 307/308 resends the whole body there. Every answer's body is read to the end
 * (up to {@link MAX_DRAINED_BYTES}) so its connection is reused by the next delivery.
 */
export class WebhookAlertSink implements AlertSink {
  readonly name = 'webhook';
  private readonly url: string;
  private readonly timeoutMs: number;
  private readonly batchSize: number;

  constructor(options: WebhookAlertSinkOptions) {
    this.url = options.url;
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.batchSize = options.batchSize ?? 100;
  }

  async deliver(alerts: readonly Alert[]): Promise<void> {
    for (let i = 0; i < alerts.length; i += this.batchSize) {
      const part = alerts.slice(i, i + this.batchSize);
      const res = await fetch(this.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-fraudmini-alert-ids': `${part[0]?.id}-${part[part.length - 1]?.id}`,
        },
        body: JSON.stringify({ alerts: part }),
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      await discardBody(res);
      if (res.status >= 300 && res.status < 400) {
        throw new Error(`webhook answered ${res.status} (a redirect; redirects are not followed)`);
      }
      if (!res.ok) throw new Error(`webhook answered ${res.status}`);
    }
  }
}

/**
 * Reads an answer's body to the end and drops it, so the connection goes back to the pool; past
 * {@link MAX_DRAINED_BYTES} it gives up and closes the connection instead. A body that breaks off
 * is no failure by itself: the status already said whether the alerts were taken.
 */
async function discardBody(res: Response): Promise<void> {
  if (!res.body) return;
  const reader = res.body.getReader();
  let bytes = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      bytes += value.byteLength;
      if (bytes > MAX_DRAINED_BYTES) {
        await reader.cancel();
        return;
      }
    }
  } catch {
    // Reset or timed out while reading: the connection is gone either way.
  }
}
