import type { Alert } from '../../core/views.js';
import type { AlertSink } from '../../ports/AlertSink.js';

/** Options of {@link ConsoleAlertSink}. */
export interface ConsoleAlertSinkOptions {
  /** @default process.stdout */
  out?: NodeJS.WritableStream;
  /** Most lines printed per delivery; the rest are summarised in one line. @default 20 */
  maxLines?: number;
}

/** Prints one line per alert (ids, score, reasons, masked card), summarising floods. */
export class ConsoleAlertSink implements AlertSink {
  readonly name = 'console';
  private readonly out: NodeJS.WritableStream;
  private readonly maxLines: number;

  constructor(options: ConsoleAlertSinkOptions = {}) {
    this.out = options.out ?? process.stdout;
    this.maxLines = options.maxLines ?? 20;
  }

  async deliver(alerts: readonly Alert[]): Promise<void> {
    const shown = alerts.slice(0, this.maxLines);
    let text = '';
    for (const a of shown) text += `${formatAlert(a)}\n`;
    if (alerts.length > shown.length) {
      text += `ALERT ... and ${alerts.length - shown.length} more (all in alerts.jsonl and GET /alerts)\n`;
    }
    this.out.write(text);
  }
}

/** One human-readable line for an alert. */
export function formatAlert(a: Alert): string {
  const card = a.card ? ` card=${a.card}` : '';
  const reasons = a.reasons.map((r) => r.rule).join(',');
  return `ALERT ${a.outcome.padEnd(6)} score=${a.score.toFixed(1)} tx=${a.transaction_id} account=${a.account_id}${card} amount=${a.amount} ${a.currency} reasons=${reasons}`;
}
