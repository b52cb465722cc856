import { FraudminiError } from './errors.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * Parses a duration such as `7d`, `12h`, `30m`, `90s`, `1w` or `0` into milliseconds.
 * @example parseDuration('7d') // 604800000
 */
export function parseDuration(text: string, what = 'duration'): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)?$/.exec(text.trim());
  if (!m) throw new FraudminiError(`${what} "${text}" is not a duration like 7d, 12h or 30m`);
  const n = Number(m[1]);
  if (n === 0) return 0;
  if (!m[2]) throw new FraudminiError(`${what} "${text}" needs a unit: ms, s, m, h, d or w`);
  return n * (UNITS[m[2]] as number);
}
