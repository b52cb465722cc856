import { createHmac } from 'node:crypto';

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

const SEPARATORS = /[\s-]/g;
const PAN_SHAPE = /^\d{12,19}$/;

/**
 * Builds a tokenizer keyed with `key` (at least 16 bytes). The same PAN always yields the
 * same token under the same key, so features per card work without keeping the number.
 * A value that is not shaped like a PAN (an opaque card id) is tokenised too, without BIN/last 4.
 * @example createPanTokenizer(key)('4111 1111 1111 1111').masked // '411111******1111'
 */
export function createPanTokenizer(key: Buffer | string): PanTokenizer {
  const k = typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
  if (k.length < 16) throw new RangeError('the card tokenisation key must be at least 16 bytes');
  return (raw: string): CardRef => {
    const compact = raw.replace(SEPARATORS, '');
    const token = createHmac('sha256', k).update(compact).digest('base64url').slice(0, 22);
    if (PAN_SHAPE.test(compact)) {
      const bin = compact.slice(0, 6);
      const last4 = compact.slice(-4);
      return { token, bin, last4, masked: `${bin}${'*'.repeat(compact.length - 10)}${last4}` };
    }
    return { token, masked: `card:${token.slice(0, 8)}` };
  };
}

/** Digit runs (spaces/dashes allowed inside) long enough to be a PAN. */
const PAN_IN_TEXT = /(?<![\d])\d(?:[ -]?\d){11,18}(?![\d])/g;

/**
 * Masks anything in free text that is shaped like a card number (12–19 digits passing the
 * Luhn check), keeping BIN and last 4. Used on columns that are not `card_number` so a PAN
 * pasted into a note or description is never stored in clear.
 */
export function maskPansInText(text: string): string {
  if (!hasLongDigitRun(text)) return text;
  return text.replace(PAN_IN_TEXT, (match) => {
    const digits = match.replace(SEPARATORS, '');
    if (!luhnValid(digits)) return match;
    return `${digits.slice(0, 6)}${'*'.repeat(digits.length - 10)}${digits.slice(-4)}`;
  });
}

/** Cheap pre-check so ordinary values skip the regular expression. */
function hasLongDigitRun(text: string): boolean {
  let run = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (++run >= 12) return true;
    } else if (c !== 32 && c !== 45) {
      run = 0;
    }
  }
  return false;
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
