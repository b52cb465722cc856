import type { Alert } from '../core/views.js';

/** Somewhere alerts go: the console, a JSONL file, a webhook, SNS. */
export interface AlertSink {
  /** A short name for logs (`console`, `jsonl`, `webhook`). */
  readonly name: string;
  /** Delivers alerts; throws when delivery failed and should be retried. */
  deliver(alerts: readonly Alert[]): Promise<void>;
}
