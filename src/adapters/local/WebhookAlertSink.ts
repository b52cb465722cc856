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

/**
 * POSTs alerts as `{"alerts":[...]}`. Delivery is at least once: a failed request is retried
 * by the dispatcher with backoff, so receivers should de-duplicate on `alerts[].id` (also sent as
 * the `x-fraudmini-alert-ids` header range).
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
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      if (!res.ok) throw new Error(`webhook answered ${res.status}`);
    }
  }
}
