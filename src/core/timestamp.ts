import { quote } from './quote.js';
/**
 * Event-time parsing. Accepts ISO 8601 (a date, or date and time with optional fraction and
 * offset; no offset means UTC) and epoch seconds or milliseconds.
 */
export type ParsedTimestamp = { ok: true; value: number } | { ok: false; reason: string };

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?)?$/;
const EPOCH = /^\d{1,16}(?:\.\d+)?$/;
/** Epoch numbers below this are seconds, above it milliseconds (1e11 s is the year 5138). */
const SECONDS_LIMIT = 1e11;
const MIN_MS = Date.UTC(1970, 0, 1);
/** 1e8 s is 1973-03-03: smaller bare numbers are dates typed without separators, not epochs. */
const MIN_EPOCH_SECONDS = 1e8;
const MAX_MS = Date.UTC(2200, 0, 1);

/**
 * Parses a timestamp to epoch milliseconds (UTC).
 * @example parseTimestamp('2024-03-01T12:00:00+01:00') // { ok: true, value: 1709290800000 }
 */
export function parseTimestamp(raw: string): ParsedTimestamp {
  const text = raw.trim();
  if (text === '') return { ok: false, reason: 'is empty' };
  let ms: number;
  if (EPOCH.test(text)) {
    const n = Number(text);
    // A bare year (2024) or compact date (20240301) would otherwise pass as seconds in 1970.
    if (n < MIN_EPOCH_SECONDS) {
      return { ok: false, reason: `${quote(text)} is too small for epoch seconds (before 1973); use ISO 8601` };
    }
    ms = n < SECONDS_LIMIT ? Math.round(n * 1000) : Math.round(n);
  } else {
    const m = ISO.exec(text);
    if (!m) return { ok: false, reason: `${quote(text)} is not an ISO 8601 time or epoch seconds/milliseconds` };
    const [y, mo, d, h = '0', mi = '0', s = '0'] = [m[1], m[2], m[3], m[4], m[5], m[6]].map((v) => v ?? '0');
    const year = Number(y);
    const month = Number(mo);
    const day = Number(d);
    const hour = Number(h);
    const minute = Number(mi);
    const second = Number(s);
    if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || minute > 59 || second > 59) {
      return { ok: false, reason: `${quote(text)} is not a valid date and time` };
    }
    if (m[8] && !validOffset(m[8])) return { ok: false, reason: `${quote(text)} has an invalid UTC offset` };
    const fraction = m[7] ? Math.floor(Number(`0.${m[7]}`) * 1000) : 0;
    ms = Date.UTC(year, month - 1, day, hour, minute, second, fraction) - offsetMs(m[8]);
  }
  if (!(ms >= MIN_MS && ms < MAX_MS)) return { ok: false, reason: `${quote(text)} is outside 1970–2199` };
  return { ok: true, value: ms };
}

function validOffset(zone: string): boolean {
  if (zone === 'Z' || zone === 'z') return true;
  const digits = zone.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
  return hours <= 14 && minutes < 60;
}

function offsetMs(zone: string | undefined): number {
  if (!zone || zone === 'Z' || zone === 'z') return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
  return sign * (hours * 60 + minutes) * 60_000;
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

