import { maskPansInText } from '../../core/pan.js';
import type { Logger } from '../../ports/Logger.js';

/** Options of {@link TextLogger}. */
export interface TextLoggerOptions {
  /** @default process.stderr */
  out?: NodeJS.WritableStream;
  /** `text` for people, `json` for log shippers. @default 'text' */
  format?: 'text' | 'json';
}

/**
 * Writes one line per event. Callers pass ids and masked values; as the last line of defence,
 * the whole line goes through the PAN masker too (a file name or an error message from the file
 * system can carry what its caller did not mean to log).
 */
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
      this.out.write(`${JSON.stringify({ time, level, message, ...fields }, maskStrings)}\n`);
    } else {
      const tag = level === 'info' ? '' : `${level.toUpperCase()} `;
      this.out.write(`${time.slice(11, 19)} ${tag}${maskPansInText(message)}\n`);
    }
  }
}

/** A JSON replacer that masks every string (before escaping, so a line break cannot hide a PAN). */
function maskStrings(_key: string, value: unknown): unknown {
  return typeof value === 'string' ? maskPansInText(value) : value;
}
