import { quote } from './quote.js';
/**
 * Exact money arithmetic. Amounts are held as integers in units of 1/10,000 of the currency
 * unit ("E4"), so `10000.00` and `10000.01` compare exactly and a threshold is never crossed
 * by binary floating-point rounding. 2^53 / 10^4 ≈ 9e11 currency units fit exactly.
 */
export const AMOUNT_SCALE = 10_000;
const MAX_DECIMALS = 4;
const MAX_E4 = Number.MAX_SAFE_INTEGER;

const PLAIN = /^([+-])?(\d+)?(?:\.(\d*))?$/;
const GROUPED = /^([+-])?(\d{1,3}(?:,\d{3})+)(?:\.(\d*))?$/;

/** Result of parsing a decimal string: the E4 integer, or a reason a person can act on. */
export type ParsedAmount = { ok: true; value: number } | { ok: false; reason: string };

/**
 * Parses a decimal string (`1234.5`, `1,234.50`, `+3`) into an exact E4 integer.
 * Rejects exponents, more than 4 decimal places (rounding could move a decision boundary)
 * and values too large to hold exactly.
 * @example parseDecimal('10000.01') // { ok: true, value: 100000100 }
 */
export function parseDecimal(raw: string): ParsedAmount {
  const fast = parsePlainDecimal(raw);
  if (fast !== -1) return { ok: true, value: fast };
  const text = raw.trim();
  if (text === '') return { ok: false, reason: 'is empty' };
  const m = PLAIN.exec(text) ?? GROUPED.exec(text);
  if (!m || (m[2] === undefined && (m[3] === undefined || m[3] === ''))) {
    return { ok: false, reason: `${quote(text)} is not a decimal number` };
  }
  const sign = m[1] === '-' ? -1 : 1;
  const whole = (m[2] ?? '0').replaceAll(',', '');
  let frac = m[3] ?? '';
  if (frac.length > MAX_DECIMALS) {
    if (/[1-9]/.test(frac.slice(MAX_DECIMALS))) {
      return { ok: false, reason: `${quote(text)} has more than ${MAX_DECIMALS} decimal places` };
    }
    frac = frac.slice(0, MAX_DECIMALS);
  }
  const value = Number(whole) * AMOUNT_SCALE + Number(frac.padEnd(MAX_DECIMALS, '0'));
  if (!Number.isSafeInteger(value) || value > MAX_E4) {
    return { ok: false, reason: `${quote(text)} is too large` };
  }
  return { ok: true, value: sign * value };
}

/**
 * The common shape — unsigned digits, optionally a point and 1–4 decimals, at most 11 digits
 * before the point — read digit by digit into E4: the same value as the general path, or -1 for
 * anything else (which the general path then parses or rejects with its reason). Exported for
 * its tests: that it keeps the common shape to itself is what makes ingest fast.
 * @example parsePlainDecimal('19.99') // 199900; parsePlainDecimal('1,000') // -1
 */
export function parsePlainDecimal(s: string): number {
  const n = s.length;
  let whole = 0;
  let i = 0;
  for (; i < n; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) break;
    whole = whole * 10 + d;
  }
  // 11 digits keep whole * 10^4 + frac below 2^53; longer numbers go the general way.
  if (i === 0 || i > 11) return -1;
  if (i === n) return whole * AMOUNT_SCALE;
  if (s.charCodeAt(i) !== 46 /* . */ || n - i - 1 > MAX_DECIMALS || n - i - 1 === 0) return -1;
  let frac = 0;
  for (let j = i + 1; j < n; j++) {
    const d = s.charCodeAt(j) - 48;
    if (d < 0 || d > 9) return -1;
    frac = frac * 10 + d;
  }
  for (let k = n - i - 1; k < MAX_DECIMALS; k++) frac *= 10;
  return whole * AMOUNT_SCALE + frac;
}

/** Formats an E4 integer as a plain decimal with at least 2 decimal places. */
export function formatDecimal(e4: number): string {
  const sign = e4 < 0 ? '-' : '';
  const abs = Math.abs(e4);
  const whole = Math.floor(abs / AMOUNT_SCALE);
  // Trailing zeros of the 4 decimals dropped down to 2, by arithmetic: this runs once per output row.
  const frac = abs % AMOUNT_SCALE;
  if (frac % 100 === 0) return `${sign}${whole}.${String(frac / 100).padStart(2, '0')}`;
  if (frac % 10 === 0) return `${sign}${whole}.${String(frac / 10).padStart(3, '0')}`;
  return `${sign}${whole}.${String(frac).padStart(MAX_DECIMALS, '0')}`;
}

/**
 * Writes {@link formatDecimal}`(e4)` as ASCII bytes into `out` at `at` (room for 32 bytes needed)
 * and returns where it ends: the form written straight into an output buffer, once per output row.
 */
export function writeDecimal(e4: number, out: Uint8Array, at: number): number {
  let o = at;
  if (!Number.isSafeInteger(e4)) {
    const s = formatDecimal(e4);
    for (let i = 0; i < s.length; i++) out[o++] = s.charCodeAt(i);
    return o;
  }
  if (e4 < 0) out[o++] = 45; // -
  const abs = Math.abs(e4);
  const frac = abs % AMOUNT_SCALE;
  o = writeDigits((abs - frac) / AMOUNT_SCALE, 1, out, o);
  out[o++] = 46; // .
  if (frac % 100 === 0) return writeDigits(frac / 100, 2, out, o);
  if (frac % 10 === 0) return writeDigits(frac / 10, 3, out, o);
  return writeDigits(frac, MAX_DECIMALS, out, o);
}

/** Writes the non-negative integer `n` in decimal, zero-padded to `width` digits; returns where it ends. */
function writeDigits(n: number, width: number, out: Uint8Array, at: number): number {
  let count = 1;
  for (let p = 10; p <= n; p *= 10) count++;
  if (count < width) count = width;
  let rest = n;
  for (let i = at + count - 1; i >= at; i--) {
    const d = rest % 10;
    out[i] = 48 + d;
    rest = (rest - d) / 10;
  }
  return at + count;
}

/** E4 integer to a JS number in currency units, for JSON output and statistics. */
export function toUnits(e4: number): number {
  return e4 / AMOUNT_SCALE;
}

