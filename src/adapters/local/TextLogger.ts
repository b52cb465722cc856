import type { Logger } from '../../ports/Logger.js';

/** Options of {@link TextLogger}. */
export interface TextLoggerOptions {
  /** @default process.stderr */
  out?: NodeJS.WritableStream;
  /** `text` for people, `json` for log shippers. @default 'text' */
  format?: 'text' | 'json';
}

/** Writes one line per event; never given card data (callers pass ids and masked values). */
export class TextLogger implements Logger {
  private readonly out: NodeJS.WritableStream;
  private readonly format: 'text' | 'json';

  constructor(options: TextLoggerOptions = {}) {
    this.out = options.out ?? process.stderr;
    this.format = options.format ?? 'text';
  }

  info(message: string, fields?: Record<string, unknown>): void {
    this.write('info', message, fields);
  }

  warn(message: string, fields?: Record<string, unknown>): void {
    this.write('warn', message, fields);
  }

  error(message: string, fields?: Record<string, unknown>): void {
    this.write('error', message, fields);
  }

  private write(level: string, message: string, fields?: Record<string, unknown>): void {
    const time = new Date().toISOString();
    if (this.format === 'json') {
      this.out.write(`${JSON.stringify({ time, level, message, ...fields })}\n`);
    } else {
      const tag = level === 'info' ? '' : `${level.toUpperCase()} `;
      this.out.write(`${time.slice(11, 19)} ${tag}${message}\n`);
    }
  }
}
