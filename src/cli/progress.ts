/** Options of {@link ProgressBar}. */
export interface ProgressBarOptions {
  /** Total bytes (or units) of work. */
  total: number;
  label: string;
  /** @default process.stderr */
  out?: NodeJS.WriteStream;
}

/**
 * A one-line progress bar for terminals: percentage, rows, rate and time left. Draws nothing
 * when the output is not a TTY (pipes and CI logs stay clean).
 */
export class ProgressBar {
  private readonly out: NodeJS.WriteStream;
  private readonly started = Date.now();
  private lastDraw = 0;
  private readonly enabled: boolean;

  constructor(private readonly options: ProgressBarOptions) {
    this.out = options.out ?? process.stderr;
    this.enabled = Boolean(this.out.isTTY) && options.total > 0;
  }

  /** Redraws at most 10 times a second. */
  update(done: number, rows: number): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const frac = Math.min(1, done / this.options.total);
    const width = 24;
    const filled = Math.round(frac * width);
    const secs = (now - this.started) / 1000;
    const rate = secs > 0 ? rows / secs : 0;
    const eta = frac > 0 ? (secs / frac) * (1 - frac) : 0;
    const bar = `${'#'.repeat(filled)}${'-'.repeat(width - filled)}`;
    this.out.write(
      `\r${this.options.label} [${bar}] ${(frac * 100).toFixed(0).padStart(3)}% ${rows.toLocaleString('en-US')} rows ${formatRate(rate)} ETA ${eta.toFixed(0)}s `,
    );
  }

  /** Clears the line. */
  done(): void {
    if (this.enabled) this.out.write('\r\x1b[K');
  }
}

function formatRate(perSecond: number): string {
  return perSecond >= 1000 ? `${(perSecond / 1000).toFixed(0)}k/s` : `${perSecond.toFixed(0)}/s`;
}
