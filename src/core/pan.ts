import { createHmac, createSecretKey } from 'node:crypto';
import { KeyIds } from './entityTable.js';

/** What is kept of a card number: never the number itself. */
export interface CardRef {
  /** Keyed HMAC-SHA256 of the normalised PAN, base64url, 22 chars (128 bits). */
  token: string;
  /** First 6 digits (issuer BIN), when the value is a PAN. */
  bin?: string;
  /** Last 4 digits, when the value is a PAN. */
  last4?: string;
  /** Display form: `411111******1111`, or `card:<token prefix>` for a non-PAN card reference. */
  masked: string;
}

/** Turns a raw card value into a {@link CardRef}. */
export type PanTokenizer = (raw: string) => CardRef;

/** Separators stripped from an opaque (not PAN-shaped) card reference before it is tokenised. */
const SEPARATORS = /[\s-]/g;
/** Digits of a `card_number` value that make it PAN-shaped (BIN and last 4 kept). */
const CARD_MIN_DIGITS = 12;
const CARD_MAX_DIGITS = 19;

/**
 * Builds a tokenizer keyed with `key` (at least 16 bytes). The same PAN always yields the
 * same token under the same key, so features per card work without keeping the number: a value
 * made of digits and separators (after Unicode NFKC, so full-width digits count) is tokenised as
 * its digits alone, whatever the separators. A value with letters (an opaque card id) is tokenised
 * too, without BIN/last 4.
 * @example createPanTokenizer(key)('4111 1111 1111 1111').masked // '411111******1111'
 */
export function createPanTokenizer(key: Buffer | string, options: PanTokenizerOptions = {}): PanTokenizer {
  const bytes = typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
  if (bytes.length < 16) throw new RangeError('the card tokenisation key must be at least 16 bytes');
  // A KeyObject is prepared once; a Buffer key would be re-imported by every createHmac.
  const k = createSecretKey(bytes);
  const tokenize = (raw: string): CardRef => {
    // Card numbers usually arrive as bare digits: then there is nothing to normalise or strip.
    const digits = isDigits(raw) ? raw : panDigits(raw);
    const compact = digits ?? raw.normalize('NFKC').replace(SEPARATORS, '');
    // node:crypto (OpenSSL), not a JavaScript SHA-256: a hand-written one was faster per card, but
    // the function that keys every card number should be the platform's audited one.
    const token = createHmac('sha256', k).update(compact).digest('base64url').slice(0, 22);
    if (digits !== undefined && digits.length >= CARD_MIN_DIGITS && digits.length <= CARD_MAX_DIGITS) {
      const bin = digits.slice(0, 6);
      const last4 = digits.slice(-4);
      return { token, bin, last4, masked: mask(digits) };
    }
    return { token, masked: `card:${token.slice(0, 8)}` };
  };
  const size = options.cache ?? 0;
  if (size <= 0) return tokenize;
  // A card pays once per stay in the cache instead of once per transaction. Emptied whole when
  // full: no bookkeeping per hit, and a card that is still active is back after one more HMAC.
  // Keyed by KeyIds, not a Map: a card number cut from a parsed chunk is a slice of it, and a
  // Map compares such a string with its keys about twice as slowly as KeyIds' hash and `===`.
  const recent = new KeyIds(size);
  const refs: CardRef[] = [];
  return (raw: string): CardRef => {
    const id = recent.get(raw);
    if (id >= 0) return refs[id] as CardRef;
    const ref = tokenize(raw);
    if (refs.length >= size) {
      recent.clear();
      refs.length = 0;
    }
    recent.set(detached(raw), refs.length);
    refs.push(ref);
    return ref;
  };
}

/**
 * A copy of `s` that shares no memory with the text it was cut from. A value sliced out of a
 * parsed chunk keeps the whole chunk alive while it is referenced; a key kept in a long-lived
 * map must not keep megabytes of input with it.
 */
function detached(s: string): string {
  const codes = new Array<number>(s.length);
  for (let i = 0; i < s.length; i++) codes[i] = s.charCodeAt(i);
  return String.fromCharCode(...codes);
}

/** Options of {@link createPanTokenizer}. */
export interface PanTokenizerOptions {
  /**
   * Card values remembered with their {@link CardRef} (which is then shared by every
   * transaction of that card and must not be changed), so a card seen again costs a map lookup
   * instead of an HMAC. The values stay in process memory only, at most this many at a time;
   * nothing of them is written anywhere. 0: none remembered. @default 0
   */
  cache?: number;
}

/**
 * Card values the local runtime and the CLI remember while tokenising (see
 * {@link PanTokenizerOptions.cache}): enough for every card of a busy day's file to hit.
 */
export const TOKEN_CACHE_CARDS = 65_536;

/**
 * The display form of a PAN-shaped value (`411111******1111`: 12–19 digits and any separators,
 * after NFKC) without computing a token, or undefined when the value is not shaped like a PAN.
 */
export function maskPan(raw: string): string | undefined {
  const digits = isDigits(raw) ? raw : panDigits(raw);
  if (digits === undefined || digits.length < CARD_MIN_DIGITS || digits.length > CARD_MAX_DIGITS) return undefined;
  return mask(digits);
}

/**
 * The ASCII digits of a value made of digits and separators only (after NFKC), or undefined
 * when it holds a letter or no digit at all.
 */
function panDigits(raw: string): string | undefined {
  let digits = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c < 128) {
      if (c >= 48 && c <= 57) digits += raw[i];
      else if (isLetter(c)) return undefined;
      continue;
    }
    const cp = raw.codePointAt(i) as number;
    if (cp > 0xffff) i++;
    const p = projection(cp);
    for (let j = 0; j < p.length; j++) {
      const d = p.charCodeAt(j);
      if (d >= 48 && d <= 57) digits += p[j];
      else if (isLetter(d)) return undefined;
    }
  }
  return digits === '' ? undefined : digits;
}

/** Fewest and most digits of a card number found in text. */
const MIN_PAN = 13;
const MAX_PAN = 19;

/**
 * Masks anything in text that reads as a card number, keeping BIN and last 4: 13–19 digits
 * (after Unicode NFKC, so `４１１１…` counts), in groups separated by any run of characters that
 * are neither letters nor digits (`4111.1111.1111.1111`, `4111 - 1111…`, tabs, NBSP, `/`, `_`, a
 * line break inside a quoted field), that pass the Luhn check and start as an issuer's number can
 * (not with 0; with 1 only at 15 digits, the airline cards). A number is made of whole digit
 * groups: digits glued to a PAN make a different, longer number.
 *
 * Text that only looks numeric is left alone: dates and clock times, compact date-times
 * (`20240301120000`), epoch seconds and milliseconds, decimal amounts (`12500.00`), IPv4
 * addresses and UUIDs are never part of a card number, so lists of them are not mangled.
 *
 * Runs in time linear in the text; a text without 13 digits between two letters returns at once.
 * Used on every free-text value, key, header, file name and error reason.
 * @example maskPansInText('paid with 4111.1111.1111.1111') // 'paid with 411111******1111'
 */
export function maskPansInText(text: string): string {
  if (!mayHoldPan(text)) return text;
  return maskText(text);
}

/**
 * Like {@link maskPansInText}, for identifiers (transaction, account, terminal, device ids): each
 * card number becomes its masked form followed by `~` and the keyed token of its digits. Masking
 * alone would make different ids equal (ten sequential 16-digit order ids in a hundred share a
 * masked form), and a transaction would then be taken for a duplicate of another; the token keeps
 * ids as distinct as the numbers were, and the same number always gives the same id, so a
 * re-delivered row or request still finds its decision.
 * @example tokenisePansInText(`order-${pan}`, tokenizer) // for a 16-digit `pan`: 'order-' + its first 6 digits + '******' + its last 4 + '~<22-character token>'
 */
export function tokenisePansInText(text: string, tokenizer: PanTokenizer): string {
  if (!mayHoldPan(text)) return text;
  return maskText(text, (digits) => `${mask(digits)}~${tokenizer(digits).token}`);
}

/**
 * False when no field of `line`, fields joined by `delimiter` (a single ASCII character that is
 * neither a letter, a digit, nor one of `.-/:`), holds anything {@link maskPansInText} would
 * mask: the pre-check of every field in one pass, for a renderer that masks a line at a time.
 * True means a field may hold one: mask the fields one by one.
 */
export function mayHoldPanInFields(line: string, delimiter: string): boolean {
  return mayHoldPan(line, delimiter.charCodeAt(0));
}

/**
 * Cheap pre-check, run on every value: true when some run of digits and separators between two
 * letters (or `breaker` characters) holds 13 digits. Ordinary values (names, ids, amounts,
 * timestamps) stop here.
 */
function mayHoldPan(text: string, breaker = -1): boolean {
  let run = 0;
  let runStart = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 128) {
      if (c >= 48 && c <= 57) {
        if (++run >= MIN_PAN) return mayHoldPanFrom(text, runStart, breaker);
      } else if (isLetter(c) || c === breaker) {
        run = 0;
        runStart = i + 1;
      }
      continue;
    }
    const cp = text.codePointAt(i) as number;
    if (cp > 0xffff) i++;
    const p = projection(cp);
    for (let j = 0; j < p.length; j++) {
      const d = p.charCodeAt(j);
      if (d >= 48 && d <= 57) {
        if (++run >= MIN_PAN) return mayHoldPanFrom(text, runStart, breaker);
      } else if (isLetter(d)) {
        run = 0;
        runStart = i + 1;
      }
    }
  }
  return false;
}

/**
 * The pre-check from `start` on, where clock times, cents and the month and day of a year-first
 * date end a run as they do in the full scan (see {@link NOT_A_PAN}): `2024-03-01 12:00:00.123`
 * and lists of amounts stop here too. Where the two could differ (a non-ASCII neighbour), this
 * check keeps counting, which is safe.
 */
function mayHoldPanFrom(text: string, start: number, breaker: number): boolean {
  let run = 0;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 128) {
      if (c >= 48 && c <= 57) {
        if (++run >= MIN_PAN) return true;
      } else if (isLetter(c) || c === breaker) run = 0;
      else if (run > 0 && isDigitAt(text, i - 1)) {
        const end = c === 58 ? clockTimeEnd(text, i) : c === 46 || c === 45 || c === 47 ? dateOrCentsEnd(text, i) : -1;
        if (end !== -1) {
          run = 0;
          i = end - 1;
        }
      }
      continue;
    }
    const cp = text.codePointAt(i) as number;
    if (cp > 0xffff) i++;
    const p = projection(cp);
    for (let j = 0; j < p.length; j++) {
      const d = p.charCodeAt(j);
      if (d >= 48 && d <= 57) {
        if (++run >= MIN_PAN) return true;
      } else if (isLetter(d)) run = 0;
    }
  }
  return false;
}

/**
 * Where the clock time whose first colon is at `colon` ends, as the clock-time shape of
 * {@link NOT_A_PAN} would match it, or -1 when it would not (or a non-ASCII neighbour leaves it open).
 */
function clockTimeEnd(t: string, colon: number): number {
  let h = colon;
  while (h > 0 && isDigitAt(t, h - 1)) h--;
  const hour = colon - h;
  if (hour > 2 || !isPlainBoundary(t, h - 1) || t.charCodeAt(h - 1) === 58) return -1;
  if (hour === 2 && !(t.charCodeAt(h) <= 49 || (t.charCodeAt(h) === 50 && t.charCodeAt(h + 1) <= 51))) return -1;
  if (!isTensOfMinutes(t, colon + 1) || !isDigitAt(t, colon + 2)) return -1;
  const minutes = colon + 3;
  if (t.charCodeAt(minutes) === 58 && isTensOfMinutes(t, minutes + 1) && isDigitAt(t, minutes + 2)) {
    const seconds = minutes + 3;
    if (t.charCodeAt(seconds) === 46) {
      let k = seconds + 1;
      while (k < t.length && k - seconds <= 9 && isDigitAt(t, k)) k++;
      if (k > seconds + 1 && isTimeEnd(t, k)) return k;
    }
    if (isTimeEnd(t, seconds)) return seconds;
  }
  return isTimeEnd(t, minutes) ? minutes : -1;
}

/**
 * Where the shielded part of a year-first date (`-03-01` after `2024`) or of an amount (`.00`
 * after `12500`) that starts at `at` ends, as {@link NOT_A_PAN} would match it, or -1.
 */
function dateOrCentsEnd(t: string, at: number): number {
  let g = at;
  while (g > 0 && isDigitAt(t, g - 1)) g--;
  const whole = at - g;
  if (!isPlainBoundary(t, g - 1)) return -1;
  const sep = t.charCodeAt(at);
  if (sep === 46 && whole <= 12 && !(t.charCodeAt(g - 1) === 46 && isDigitAt(t, g - 2))) {
    // Cents: two digits, then neither a digit nor a dot and a digit.
    if (isDigitAt(t, at + 1) && isDigitAt(t, at + 2) && at + 3 <= t.length && isPlainBoundary(t, at + 3)) {
      const next = t.charCodeAt(at + 3);
      if (!(next >= 48 && next <= 57) && !(next === 46 && (isDigitAt(t, at + 4) || !isPlainBoundary(t, at + 4)))) {
        return at + 3;
      }
    }
  }
  const century = (t.charCodeAt(g) - 48) * 10 + (t.charCodeAt(g + 1) - 48);
  if (whole !== 4 || century < 19 || century > 21) return -1;
  const m = at + 1;
  const mw = digitsAt(t, m);
  const month = valueAt(t, m, mw);
  if (mw < 1 || mw > 2 || month < 1 || month > 12 || t.charCodeAt(m + mw) !== sep) return -1;
  const d = m + mw + 1;
  const dw = digitsAt(t, d);
  const day = valueAt(t, d, dw);
  if (dw < 1 || dw > 2 || day < 1 || day > 31 || !isPlainBoundary(t, d + dw)) return -1;
  return d + dw;
}

/** How many ASCII digits follow one another from `i`, counted up to 3 (a month or day has 1 or 2). */
function digitsAt(t: string, i: number): number {
  let k = i;
  while (k - i < 3 && isDigitAt(t, k)) k++;
  return k - i;
}

/** The value of the `n` digits at `i`. */
function valueAt(t: string, i: number, n: number): number {
  let v = 0;
  for (let k = i; k < i + n; k++) v = v * 10 + t.charCodeAt(k) - 48;
  return v;
}

function isDigitAt(t: string, i: number): boolean {
  const c = t.charCodeAt(i);
  return c >= 48 && c <= 57;
}

/** True when position `i` is the text's edge or an ASCII character (a non-ASCII one could be a digit after NFKC). */
function isPlainBoundary(t: string, i: number): boolean {
  return i < 0 || i >= t.length || t.charCodeAt(i) < 128;
}

function isTensOfMinutes(t: string, i: number): boolean {
  const c = t.charCodeAt(i);
  return c >= 48 && c <= 53;
}

/** True when a clock time may end before position `i`: neither a digit nor a colon follows. */
function isTimeEnd(t: string, i: number): boolean {
  if (!isPlainBoundary(t, i)) return false;
  const c = t.charCodeAt(i);
  return !(c >= 48 && c <= 57) && c !== 58;
}

/**
 * Numeric shapes that are never part of a card number, on the ASCII projection of a text: their
 * characters end a run of digits as a letter does. Each comes with the characters one of which it
 * needs, so a text lacking them all is not searched. Every pattern has bounded repetition only, so
 * a scan is linear in the text.
 */
const NOT_A_PAN: readonly [string, RegExp][] = [
  // UUIDs.
  ['-', /(?<![0-9A-Za-z])[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}(?![0-9A-Za-z])/g],
  // The month and day of a date, year first (2024-03-01, 2024/3/1) or last (01/03/2024). The year
  // is left as digits: a card number's last group can read as one (`… 1905-5-5`), and a list of
  // dates is still years apart.
  ['-/.', /([-/.])(?<=(?<![0-9])(?:19|20|21)\d\d[-/.])(?:0?[1-9]|1[0-2])\1(?:0?[1-9]|[12]\d|3[01])(?![0-9])/g],
  ['-/.', /(?<![0-9])(?:0?[1-9]|[12]\d|3[01])([-/.])(?:0?[1-9]|[12]\d|3[01])\1(?=(?:19|20|21)\d\d(?![0-9]))/g],
  // Clock times (12:00, 23:59:59.123) and UTC offsets (+01:00). Not a comma before a fraction of
  // a second: in a list, what follows `12:00:00,` is the next value.
  [':', /(?<![0-9:])(?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{1,9})?)?(?![0-9:])/g],
  // IPv4 addresses.
  ['.', /(?<![0-9.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![0-9]|\.[0-9])/g],
  // The cents of an amount (12500.00, 1,250.00; not the tail of a dotted number): only they are
  // shielded, so the amounts of a list stay apart while a PAN written just before `.00` is whole.
  ['.', /\.(?<=(?<![0-9]|[0-9]\.)(?:\d{1,3}(?:,\d{3}){1,6}|\d{1,12})\.)\d{2}(?![0-9]|\.[0-9])/g],
];

/**
 * Masks the card numbers of a text that may hold one. Numeric shapes that are not card numbers
 * are only looked for when a candidate was found without them: most texts that reach this point
 * (a timestamp with a space, a list of amounts) have none, and skip the regular expressions.
 */
function maskText(text: string, replace: (digits: string) => string = mask): string {
  const { proj, starts, ends } = projectText(text);
  let found = findPans(proj, undefined);
  if (found.length === 0) return text;
  const shielded = shieldedShapes(proj);
  if (shielded !== undefined) found = findPans(proj, shielded);
  if (found.length === 0) return text;
  let out = '';
  let last = 0;
  for (let k = 0; k < found.length; k += 2) {
    const first = found[k] as number;
    const lastDigit = found[k + 1] as number;
    // Two stretches can share a code point whose NFKC form holds digits of both (`¼` is `1⁄4`):
    // that code point went out with the first, so the second's mask follows it directly, and
    // none of the second's digits is left in clear.
    const from = Math.max(starts ? (starts[first] as number) : first, last);
    out += text.slice(last, from) + replace(digitsOf(proj, first, lastDigit + 1));
    last = ends ? (ends[lastDigit] as number) : lastDigit + 1;
  }
  return out + text.slice(last);
}

/** The text as ASCII (see {@link projection}), and for each of its characters where its code point starts and ends in the text, unless it is the text itself. */
function projectText(text: string): { proj: string; starts?: number[]; ends?: number[] } {
  let ascii = true;
  for (let i = 0; i < text.length && ascii; i++) if (text.charCodeAt(i) >= 128) ascii = false;
  if (ascii) return { proj: text };
  let proj = '';
  const starts: number[] = [];
  const ends: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 128) {
      proj += text[i];
      starts.push(i);
      ends.push(i + 1);
      continue;
    }
    const cp = text.codePointAt(i) as number;
    const width = cp > 0xffff ? 2 : 1;
    const p = projection(cp);
    for (let j = 0; j < p.length; j++) {
      starts.push(i);
      ends.push(i + width);
    }
    proj += p;
    i += width - 1;
  }
  return { proj, starts, ends };
}

/** The ASCII digits of `proj` between two indexes. */
function digitsOf(proj: string, from: number, to: number): string {
  let digits = '';
  for (let p = from; p < to; p++) {
    const c = proj.charCodeAt(p);
    if (c >= 48 && c <= 57) digits += proj[p];
  }
  return digits;
}

/**
 * The stretches of `proj` that read as card numbers (see {@link maskPansInText}), overlapping
 * ones merged, as pairs: index of the first digit, index of the last digit. Characters marked in
 * `shielded` end a run as letters do.
 */
function findPans(proj: string, shielded: Uint8Array | undefined): number[] {
  const found: number[] = [];
  // The current run: its digits (`nd` of them), where each is in `proj`, and the digit index
  // where each of its `ng` groups starts. Counters, not array lengths: resetting a length is slow.
  const run: Run = { digits: [], at: [], groups: [], nd: 0, ng: 0 };
  let inGroup = false;
  for (let p = 0; p < proj.length; p++) {
    const c = proj.charCodeAt(p);
    if (c >= 48 && c <= 57 && (shielded === undefined || shielded[p] === 0)) {
      if (!inGroup) run.groups[run.ng++] = run.nd;
      run.digits[run.nd] = c - 48;
      run.at[run.nd++] = p;
      inGroup = true;
      continue;
    }
    if (inGroup) {
      inGroup = false;
      // A group that is a date-time or an epoch time ends the run as a letter would.
      const start = run.groups[run.ng - 1] as number;
      if (isTimeGroup(run.digits, start, run.nd)) {
        run.ng--;
        run.nd = start;
        endRun(run, found);
      }
    }
    if (isLetter(c) || (shielded !== undefined && shielded[p] === 1)) endRun(run, found);
  }
  if (inGroup) {
    const start = run.groups[run.ng - 1] as number;
    if (isTimeGroup(run.digits, start, run.nd)) {
      run.ng--;
      run.nd = start;
    }
  }
  endRun(run, found);
  return found;
}

/** A run of digit groups between two letters (see {@link findPans}). */
interface Run {
  digits: number[];
  at: number[];
  groups: number[];
  nd: number;
  ng: number;
}

/** Adds the card numbers of `run` to `found` (see {@link findPans}) and empties it. */
function endRun(run: Run, found: number[]): void {
  const { digits, groups, nd, ng } = run;
  run.nd = 0;
  run.ng = 0;
  if (nd < MIN_PAN) return;
  let from = -1;
  let to = -1;
  for (let g = 0; g < ng; g++) {
    const s = groups[g] as number;
    const first = digits[s] as number;
    if (first === 0) continue;
    // Luhn sums of the stretches from s, grown one digit at a time: `plain` leaves the digits at
    // even distances from s as they are and doubles the others, `doubled` the other way round. A
    // stretch of odd length doubles the digits at odd distances from its start.
    let plain = 0;
    let doubled = 0;
    let e = g + 1;
    for (let k = s; k < nd && k - s < MAX_PAN; k++) {
      const v = digits[k] as number;
      const twice = v > 4 ? v * 2 - 9 : v * 2;
      if ((k - s) % 2 === 0) {
        plain += v;
        doubled += twice;
      } else {
        plain += twice;
        doubled += v;
      }
      const end = k + 1;
      if (end !== (e < ng ? (groups[e] as number) : nd)) continue;
      e++;
      const length = end - s;
      if (length < MIN_PAN || (first === 1 && length !== 15)) continue;
      if ((length % 2 === 1 ? plain : doubled) % 10 !== 0) continue;
      if (s < to) to = Math.max(to, end);
      else {
        if (from !== -1) found.push(run.at[from] as number, run.at[to - 1] as number);
        from = s;
        to = end;
      }
    }
  }
  if (from !== -1) found.push(run.at[from] as number, run.at[to - 1] as number);
}

/** Marks the characters of `proj` that belong to a {@link NOT_A_PAN} shape, or undefined when none does. */
function shieldedShapes(proj: string): Uint8Array | undefined {
  let marks: Uint8Array | undefined;
  for (const [needs, shape] of NOT_A_PAN) {
    let needed = false;
    for (let k = 0; k < needs.length && !needed; k++) needed = proj.includes(needs[k] as string);
    if (!needed) continue;
    shape.lastIndex = 0;
    for (let m = shape.exec(proj); m !== null; m = shape.exec(proj)) {
      marks ??= new Uint8Array(proj.length);
      marks.fill(1, m.index, m.index + m[0].length);
    }
  }
  return marks;
}

/**
 * True for a digit group that is a time: epoch seconds, milliseconds, microseconds or
 * nanoseconds of this era (10, 13, 16 or 19 digits from 1), or a compact date or date-time
 * (`20240301`, `202403011200`, `20240301120000`, `20240301120000123`).
 */
function isTimeGroup(d: readonly number[], s: number, e: number): boolean {
  const length = e - s;
  if (d[s] === 1 && (length === 10 || length === 13 || length === 16 || length === 19)) return true;
  if (length !== 8 && length !== 12 && length !== 14 && length !== 17) return false;
  const two = (k: number): number => (d[s + k] as number) * 10 + (d[s + k + 1] as number);
  const century = two(0);
  if (century < 19 || century > 21) return false;
  const month = two(4);
  const day = two(6);
  if (month < 1 || month > 12 || day < 1 || day > 31) return false;
  if (length === 8) return true;
  if (two(8) > 23 || two(10) > 59) return false;
  return length === 12 || two(12) <= 59;
}

/** NFKC forms of the non-ASCII code points seen, as ASCII (bounded: the set of code points is not). */
const projections = new Map<number, string>();
const PROJECTIONS_KEPT = 4096;
const LETTER_OR_NUMBER = /[\p{L}\p{N}]/u;

/**
 * A non-ASCII code point as ASCII of the same meaning for finding card numbers: its NFKC form
 * (full-width `４` is `4`, NBSP is a space), with any other letter or number as `a` (a digit of
 * another script ends a number as a letter does) and any other symbol as a space (a separator).
 */
function projection(cp: number): string {
  let p = projections.get(cp);
  if (p !== undefined) return p;
  p = '';
  for (const ch of String.fromCodePoint(cp).normalize('NFKC')) {
    p += (ch.codePointAt(0) as number) < 128 ? ch : LETTER_OR_NUMBER.test(ch) ? 'a' : ' ';
  }
  if (projections.size < PROJECTIONS_KEPT) projections.set(cp, p);
  return p;
}

function mask(digits: string): string {
  return `${digits.slice(0, 6)}${'*'.repeat(Math.max(0, digits.length - 10))}${digits.slice(-4)}`;
}

function isLetter(c: number): boolean {
  const lower = c | 32;
  return lower >= 97 && lower <= 122;
}

function isDigits(text: string): boolean {
  if (text.length === 0) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** Luhn (mod 10) check over a digit string. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}
