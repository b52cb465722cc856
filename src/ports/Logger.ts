/** Structured logging as the pipeline needs it; adapters decide where lines go. */
export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** A logger that drops everything (tests, library use). */
export const silentLogger: Logger = {
  info() {},
  warn() {},
  error() {},
};
