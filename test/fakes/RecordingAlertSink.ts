import type { Alert } from '../../src/core/views.js';
import type { AlertSink } from '../../src/ports/AlertSink.js';

/**
 * An {@link AlertSink} that keeps every alert delivered; `failNext` makes the next deliveries throw
 * (a sink that is down), delivering nothing.
 *
 * @example
 * const sink = new RecordingAlertSink();
 * await sink.deliver(alerts); // sink.delivered holds them
 */
export class RecordingAlertSink implements AlertSink {
  readonly delivered: Alert[] = [];
  private failures = 0;

  constructor(readonly name = 'recording') {}

  /** Makes the next `n` deliveries fail. */
  failNext(n = 1): void {
    this.failures += n;
  }

  async deliver(alerts: readonly Alert[]): Promise<void> {
    if (this.failures > 0) {
      this.failures--;
      throw new Error(`${this.name}: delivery failed (staged)`);
    }
    this.delivered.push(...structuredClone(alerts));
  }
}
