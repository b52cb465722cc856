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
  const fast = parseIsoSecondsUtc(raw);
  if (fast !== -1) return { ok: true, value: fast };
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

/**
 * The common shapes `YYYY-MM-DDTHH:MM:SSZ` and `YYYY-MM-DD HH:MM:SS` (no zone: UTC, as on the
 * general path), each also with milliseconds `.sss` after the seconds (`Date#toISOString`, what
 * JSON clients send), read digit by digit: epoch ms, or -1 for anything else (another shape, an
 * invalid date, a year outside 1970–2199), which the general path then parses or rejects with
 * its reason. It gives the same value as the general path; it only skips the regular expression
 * and the string-to-number conversions that dominated timestamp parsing.
 */
function parseIsoSecondsUtc(s: string): number {
  const sep = s.charCodeAt(10);
  // Characters before the zone: 19, or 23 with milliseconds.
  let end = s.length;
  if (s.charCodeAt(end - 1) === 90 /* Z */) end--;
  if (end === 23) {
    if (s.charCodeAt(19) !== 46 /* . */) return -1;
  } else if (end !== 19) return -1;
  if (
    s.charCodeAt(4) !== 45 /* - */ ||
    s.charCodeAt(7) !== 45 ||
    (sep !== 84 /* T */ && sep !== 32) /* space */ ||
    s.charCodeAt(13) !== 58 /* : */ ||
    s.charCodeAt(16) !== 58
  ) {
    return -1;
  }
  const year = digits(s, 0, 4);
  const month = digits(s, 5, 2);
  const day = digits(s, 8, 2);
  const hour = digits(s, 11, 2);
  const minute = digits(s, 14, 2);
  const second = digits(s, 17, 2);
  // Three digits are the milliseconds exactly, as the general path reads them.
  const millis = end === 23 ? digits(s, 20, 3) : 0;
  // digits() is -1 for a non-digit, which every check below also refuses.
  if (year < 1970 || year > 2199 || month < 1 || month > 12 || day < 1 || hour < 0 || minute < 0 || second < 0 || millis < 0) {
    return -1;
  }
  if (day > daysIn(year, month) || hour > 23 || minute > 59 || second > 59) return -1;
  const ms = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  return ms < MAX_MS ? ms : -1;
}

/** The decimal number in s[from, from + count), or -1 when a character there is not a digit. */
function digits(s: string, from: number, count: number): number {
  let n = 0;
  for (let i = from; i < from + count; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
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
  // Date.UTC maps years 0–99 to 1900–1999; the general path relies on that (its error messages
  // for such years are pinned), so only 1970–2199 — the fast path — uses the arithmetic.
  if (year >= 1970 && year <= 2199) {
    if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
    return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
  }
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}


const DAY_MS = 86_400_000;
const TWO_DIGITS = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));

/**
 * Formats epoch ms exactly as `new Date(ms).toISOString()` does, for output written once per row:
 * the date part is formatted once per day and reused (rows come roughly in time order), the time
 * of day by arithmetic, with no `Date` per call. Outside 1970–2199 it defers to `Date`.
 *
 * @example new IsoTimeFormatter().format(0) // '1970-01-01T00:00:00.000Z'
 */
export class IsoTimeFormatter {
  private day = Number.NaN;
  private datePrefix = '';

  /** The parts of the time last split by {@link split}. */
  private hour = 0;
  private minute = 0;
  private second = 0;
  private millis = 0;

  /** The ISO 8601 UTC form of `ms`, `YYYY-MM-DDTHH:mm:ss.sssZ`. */
  format(ms: number): string {
    if (!(ms >= 0 && ms < MAX_MS) || !Number.isInteger(ms)) return new Date(ms).toISOString();
    this.split(ms);
    const millis = this.millis;
    const m3 = millis < 10 ? `00${millis}` : millis < 100 ? `0${millis}` : String(millis);
    return `${this.datePrefix}${TWO_DIGITS[this.hour]}:${TWO_DIGITS[this.minute]}:${TWO_DIGITS[this.second]}.${m3}Z`;
  }

  /** Sets the day's prefix (formatted once per day) and the time of day of `ms`, in range and whole. */
  private split(ms: number): void {
    const day = Math.floor(ms / DAY_MS);
    if (day !== this.day) {
      this.day = day;
      this.datePrefix = new Date(day * DAY_MS).toISOString().slice(0, 11);
    }
    let rest = ms - day * DAY_MS;
    this.millis = rest % 1000;
    rest = (rest - this.millis) / 1000;
    this.second = rest % 60;
    rest = (rest - this.second) / 60;
    this.minute = rest % 60;
    this.hour = (rest - this.minute) / 60;
  }

  /**
   * Writes {@link format}`(ms)` as ASCII bytes into `out` at `at` (room for 32 bytes needed) and
   * returns where it ends: the form written straight into an output buffer, with no string per call.
   */
  write(ms: number, out: Uint8Array, at: number): number {
    if (!(ms >= 0 && ms < MAX_MS) || !Number.isInteger(ms)) return writeAscii(this.format(ms), out, at);
    this.split(ms);
    const { hour, minute, second, millis } = this;
    let o = writeAscii(this.datePrefix, out, at);
    o = twoDigits(hour, out, o);
    out[o++] = 58; // :
    o = twoDigits(minute, out, o);
    out[o++] = 58;
    o = twoDigits(second, out, o);
    out[o++] = 46; // .
    out[o++] = 48 + Math.floor(millis / 100);
    out[o++] = 48 + (Math.floor(millis / 10) % 10);
    out[o++] = 48 + (millis % 10);
    out[o++] = 90; // Z
    return o;
  }
}

function twoDigits(n: number, out: Uint8Array, at: number): number {
  out[at] = 48 + Math.floor(n / 10);
  out[at + 1] = 48 + (n % 10);
  return at + 2;
}

/** Writes `s`, all of whose characters are ASCII, as bytes into `out` at `at`; returns where it ends. */
function writeAscii(s: string, out: Uint8Array, at: number): number {
  for (let i = 0; i < s.length; i++) out[at + i] = s.charCodeAt(i);
  return at + s.length;
}
