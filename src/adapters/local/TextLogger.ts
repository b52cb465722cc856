import { maskPansInText } from '../../core/pan.js';
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
 * Writes one line per event. Callers pass ids and masked values; as the last line of defence,
 * every string goes through the PAN masker too (a file name or an error message from the file
 * system can carry what its caller did not mean to log). Control characters in messages and
 * fields (a file name may hold a newline or a terminal escape) are then written as escapes, so no
 * input can forge a line or drive the reader's terminal.
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
      // The replacer reaches strings inside values that are not plain objects (class instances).
      const event = { time, level, message: safe(message), ...(fields && safeFields(fields)) };
      this.out.write(`${JSON.stringify(event, safeStrings)}\n`);
    } else {
      const tag = level === 'info' ? '' : `${level.toUpperCase()} `;
      this.out.write(`${time.slice(11, 19)} ${tag}${safe(message)}\n`);
    }
  }
}

/** A string as it may be logged: card numbers masked first (a line break cannot hide one), then made printable. */
function safe(text: string): string {
  return printable(maskPansInText(text));
}

/** A JSON replacer that makes every string safe ({@link safe} is idempotent). */
function safeStrings(_key: string, value: unknown): unknown {
  return typeof value === 'string' ? safe(value) : value;
}

/** Fields with every string in them (nested ones and keys too) masked and made printable. */
function safeFields(value: Record<string, unknown>): Record<string, unknown> {
  return safeValue(value) as Record<string, unknown>;
}

function safeValue(value: unknown): unknown {
  if (typeof value === 'string') return safe(value);
  if (Array.isArray(value)) return value.map(safeValue);
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [safe(k), safeValue(v)]));
  }
  return value;
}
