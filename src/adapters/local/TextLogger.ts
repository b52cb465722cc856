import { printable } from '../../core/printable.js';
import type { Logger } from '../../ports/Logger.js';

/** Options of {@link TextLogger}. */
export interface TextLoggerOptions {
  /** @default process.stderr */
  out?: NodeJS.WritableStream;
  /** `text` for people, `json` for log shippers. @default 'text' */
  format?: 'text' | 'json';
}

/**
 * Writes one line per event; never given card data (callers pass ids and masked values). Control
 * characters in messages and fields (a file name may hold a newline or a terminal escape) are
 * written as escapes, so no input can forge a line or drive the reader's terminal.
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
      // Escaped before encoding: JSON would escape them in the line, but a shipper decodes them back.
      const event = { time, level, message: printable(message), ...(fields && printableFields(fields)) };
      this.out.write(`${JSON.stringify(event)}\n`);
    } else {
      const tag = level === 'info' ? '' : `${level.toUpperCase()} `;
      this.out.write(`${time.slice(11, 19)} ${tag}${printable(message)}\n`);
    }
  }
}

/** Fields with every string in them (nested ones too) made printable. */
function printableFields(value: Record<string, unknown>): Record<string, unknown> {
  return printableValue(value) as Record<string, unknown>;
}

function printableValue(value: unknown): unknown {
  if (typeof value === 'string') return printable(value);
  if (Array.isArray(value)) return value.map(printableValue);
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [printable(k), printableValue(v)]));
  }
  return value;
}
