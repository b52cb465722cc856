import type { AlertOutbox } from '../ports/AlertOutbox.js';
import type { AlertSink } from '../ports/AlertSink.js';
import type { Logger } from '../ports/Logger.js';

/** Options of {@link AlertDispatcher}. */
export interface AlertDispatcherOptions {
  outbox: AlertOutbox;
  sinks: AlertSink[];
  logger: Logger;
  /** First retry delay after a failed delivery; doubles up to `maxBackoffMs`. @default 1000 */
  baseBackoffMs?: number;
  /** @default 60000 */
  maxBackoffMs?: number;
  /** Alerts per delivery. @default 500 */
  batchSize?: number;
}

interface SinkState {
  sink: AlertSink;
  failures: number;
  retryAt: number;
  /** The delivery under way, if any. */
  running: Promise<void> | undefined;
}

/**
 * Moves alerts from the outbox to each sink independently, each with its own cursor. A sink that
 * fails (a webhook that is down) is retried with exponential backoff; it never blocks scoring,
 * other sinks, or loses an alert, because the cursor only moves after a delivery succeeded.
 */
export class AlertDispatcher {
  private readonly states: SinkState[];
  private timer: NodeJS.Timeout | undefined;
  private readonly base: number;
  private readonly max: number;
  private readonly batch: number;

  constructor(private readonly options: AlertDispatcherOptions) {
    this.states = options.sinks.map((sink) => ({ sink, failures: 0, retryAt: 0, running: undefined }));
    this.base = options.baseBackoffMs ?? 1000;
    this.max = options.maxBackoffMs ?? 60_000;
    this.batch = options.batchSize ?? 500;
  }

  /** Delivers what is pending now, then keeps checking every `intervalMs`. */
  start(intervalMs = 250): void {
    this.kick();
    this.timer = setInterval(() => this.kick(), intervalMs);
    this.timer.unref();
  }

  /** Asks every ready sink to catch up (called after a commit created alerts). */
  kick(): void {
    for (const s of this.states) void this.pump(s);
  }

  /**
   * Delivers everything pending to every sink that is not backing off; resolves when done. A
   * delivery already under way (from a kick or the timer) is awaited first, so on shutdown the
   * store is not closed under it.
   */
  async flush(): Promise<void> {
    await Promise.all(
      this.states.map(async (s) => {
        await s.running;
        await this.pump(s);
      }),
    );
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private pump(s: SinkState): Promise<void> {
    if (s.running) return s.running;
    if (Date.now() < s.retryAt) return Promise.resolve();
    s.running = this.drain(s).finally(() => {
      s.running = undefined;
    });
    return s.running;
  }

  private async drain(s: SinkState): Promise<void> {
    try {
      for (;;) {
        const cursor = await this.options.outbox.deliveryCursor(s.sink.name);
        const alerts = await this.options.outbox.listAlerts({ afterId: cursor, limit: this.batch });
        if (alerts.length === 0) break;
        await s.sink.deliver(alerts);
        await this.options.outbox.setDeliveryCursor(s.sink.name, alerts[alerts.length - 1]?.id ?? cursor);
        if (s.failures > 0) this.options.logger.info(`alert sink ${s.sink.name} recovered`);
        s.failures = 0;
      }
    } catch (e) {
      s.failures++;
      const delay = Math.min(this.max, this.base * 2 ** (s.failures - 1));
      s.retryAt = Date.now() + delay;
      this.options.logger.warn(
        `alert sink ${s.sink.name} failed (${(e as Error).message}); retry ${s.failures} in ${delay} ms`,
      );
    }
  }
}
