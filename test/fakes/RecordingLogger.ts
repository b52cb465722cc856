import type { Logger } from '../../src/ports/Logger.js';

/** One line a {@link RecordingLogger} was given. */
export interface LoggedLine {
  level: 'info' | 'warn' | 'error';
  message: string;
  fields?: Record<string, unknown>;
}

/**
 * A {@link Logger} that keeps every line, to assert on what was logged.
 *
 * @example
 * const logger = new RecordingLogger();
 * logger.warn('file x failed'); // logger.lines[0].level === 'warn'
 */
export class RecordingLogger implements Logger {
  readonly lines: LoggedLine[] = [];

  info(message: string, fields?: Record<string, unknown>): void {
    this.lines.push(fields ? { level: 'info', message, fields } : { level: 'info', message });
  }

  warn(message: string, fields?: Record<string, unknown>): void {
    this.lines.push(fields ? { level: 'warn', message, fields } : { level: 'warn', message });
  }

  error(message: string, fields?: Record<string, unknown>): void {
    this.lines.push(fields ? { level: 'error', message, fields } : { level: 'error', message });
  }
}
