/**
 * The one generator of card numbers (PANs) and of the shapes they are written in, for the masker's
 * property tests and for the canary suite that pushes them through every entry point. Also the
 * scanner that looks for them afterwards: any text, NFKC-normalised, with every non-digit removed.
 */
import fc from 'fast-check';
import { seededRandom } from '../helpers/random.js';
import { luhnComplete } from '../helpers/transactions.js';

/** Issuer prefixes and lengths of real card schemes: what a careless user would paste. */
const SCHEMES: readonly { prefixes: readonly string[]; lengths: readonly number[] }[] = [
  { prefixes: ['4'], lengths: [13, 16, 19] }, // Visa
  { prefixes: ['51', '52', '53', '54', '55'], lengths: [16] }, // Mastercard
  { prefixes: ['2221', '2300', '2500', '2720'], lengths: [16] }, // Mastercard 2-series
  { prefixes: ['34', '37'], lengths: [15] }, // American Express
  { prefixes: ['6011', '65'], lengths: [16, 19] }, // Discover
  { prefixes: ['3528', '3589'], lengths: [16, 19] }, // JCB
  { prefixes: ['36'], lengths: [14] }, // Diners Club
  { prefixes: ['62'], lengths: [16, 19] }, // UnionPay
  { prefixes: ['1'], lengths: [15] }, // UATP (airlines)
];

/** What may stand between two digit groups of a written PAN: any run of non-alphanumerics. */
export const SEPARATORS: Readonly<Record<string, string>> = {
  none: '',
  space: ' ',
  dash: '-',
  dot: '.',
  spaces: '   ',
  spacedDash: ' - ',
  tab: '\t',
  nbsp: '\u00a0',
  slash: '/',
  underscore: '_',
  newline: '\n',
  crlf: '\r\n',
  mixed: ' ._ ',
  comma: ',',
  colon: ':',
  narrowNbsp: '\u202f',
  ideographicSpace: '\u3000',
  enDash: '\u2013',
  fullWidthHyphen: '\uff0d',
  longRun: ' '.repeat(12),
};

/** How each digit is written: all of these are the same digit after NFKC. */
export const DIGIT_FORMS: Readonly<Record<string, (d: number) => string>> = {
  ascii: (d) => String(d),
  fullWidth: (d) => String.fromCodePoint(0xff10 + d),
  mathBold: (d) => String.fromCodePoint(0x1d7ce + d),
};

/** A card number written in one shape. */
export interface WrittenPan {
  /** The digits. */
  pan: string;
  /** The PAN as written. */
  text: string;
  /** How it is written, for a failure message. */
  shape: string;
}

/** Writes `pan` in digit groups of the given sizes, with `separator` between groups, each digit by `form`. */
export function writePan(
  pan: string,
  sizes: readonly number[],
  separator: string | readonly string[],
  form: (d: number) => string = String,
): string {
  let out = '';
  let at = 0;
  for (const [g, size] of sizes.entries()) {
    if (g > 0) out += typeof separator === 'string' ? separator : (separator[(g - 1) % separator.length] as string);
    for (const c of pan.slice(at, at + size)) out += form(Number(c));
    at += size;
  }
  return out;
}

/** Groups of 4 (the last group takes the rest): how most PANs are printed. */
export function groupsOf4(length: number): number[] {
  const sizes: number[] = [];
  for (let left = length; left > 0; left -= 4) sizes.push(Math.min(4, left));
  if (sizes.length > 1 && (sizes[sizes.length - 1] as number) < 3) {
    const tail = sizes.pop() as number;
    sizes[sizes.length - 1] = (sizes[sizes.length - 1] as number) + tail;
  }
  return sizes;
}

/** A random PAN of a real scheme from `rand`. */
function randomPan(rand: () => number): string {
  const scheme = SCHEMES[Math.floor(rand() * SCHEMES.length)] as (typeof SCHEMES)[number];
  const prefix = scheme.prefixes[Math.floor(rand() * scheme.prefixes.length)] as string;
  const length = scheme.lengths[Math.floor(rand() * scheme.lengths.length)] as number;
  let body = prefix;
  while (body.length < length - 1) body += String(Math.floor(rand() * 10));
  return luhnComplete(body);
}

/**
 * True when the shown parts of `pan` (first 6, last 4) followed or preceded by other digits
 * could spell it once an artefact's non-digits are removed: such a canary would report its own
 * masked form as a leak.
 */
function selfOverlapping(pan: string): boolean {
  return (
    pan.slice(6, 10) === pan.slice(-4) ||
    pan.indexOf(pan.slice(0, 6), 1) !== -1 ||
    pan.indexOf(pan.slice(-4)) !== pan.length - 4
  );
}

/**
 * The canaries: one distinct PAN per shape, so a hit names the shape that leaked. Every separator
 * of {@link SEPARATORS}, every digit form of {@link DIGIT_FORMS}, the groupings of the schemes
 * (4-6-5, 4-4-4-4-3, …), and a PAN split in the middle of a group by a line break.
 */
export function canaries(seed = 20260601): WrittenPan[] {
  const rand = seededRandom(seed);
  const used = new Set<string>();
  const next = (length?: number): string => {
    for (;;) {
      const pan = randomPan(rand);
      if ((length === undefined || pan.length === length) && !selfOverlapping(pan) && !used.has(pan)) {
        used.add(pan);
        return pan;
      }
    }
  };
  const out: WrittenPan[] = [];
  for (const [name, sep] of Object.entries(SEPARATORS)) {
    const pan = next();
    out.push({ pan, text: writePan(pan, groupsOf4(pan.length), sep), shape: `groups of 4, ${name}` });
  }
  for (const [name, form] of Object.entries(DIGIT_FORMS)) {
    if (name === 'ascii') continue;
    const compact = next();
    out.push({ pan: compact, text: writePan(compact, [compact.length], '', form), shape: `${name}, compact` });
    const spaced = next();
    out.push({ pan: spaced, text: writePan(spaced, groupsOf4(spaced.length), ' ', form), shape: `${name}, spaces` });
  }
  const mixed = next(16);
  out.push({
    pan: mixed,
    text: [...mixed].map((c, i) => (i % 2 === 0 ? c : String.fromCodePoint(0xff10 + Number(c)))).join(''),
    shape: 'ASCII and full-width digits mixed',
  });
  const amex = next(15);
  out.push({ pan: amex, text: writePan(amex, [4, 6, 5], ' '), shape: '4-6-5, spaces' });
  const long = next(19);
  out.push({ pan: long, text: writePan(long, [4, 4, 4, 4, 3], '-'), shape: '4-4-4-4-3, dashes' });
  const short = next(13);
  out.push({ pan: short, text: writePan(short, [4, 4, 5], ' '), shape: '13 digits, 4-4-5' });
  const split = next(16);
  out.push({
    pan: split,
    text: writePan(split, [4, 2, 2, 4, 4], [' ', '\n', ' ', ' ']),
    shape: 'a line break inside a group',
  });
  const mixedSeps = next(16);
  out.push({
    pan: mixedSeps,
    text: writePan(mixedSeps, [4, 4, 4, 4], ['.', ' - ', '/']),
    shape: 'a different separator in each gap',
  });
  return out;
}

/** True when `text` can be part of a file name on every store: no path separator, control character or NUL. */
export function nameSafe(text: string): boolean {
  return ![...text].some((c) => c === '/' || c === '\\' || (c.codePointAt(0) as number) < 0x20);
}

/** Random PANs of real schemes (prefix, length, Luhn check digit). */
export const panArb: fc.Arbitrary<string> = fc
  .constantFrom(...SCHEMES)
  .chain((s) => fc.tuple(fc.constantFrom(...s.prefixes), fc.constantFrom(...s.lengths)))
  .chain(([prefix, length]) =>
    fc
      .string({ unit: fc.constantFrom(...'0123456789'), minLength: length - 1 - prefix.length, maxLength: length - 1 - prefix.length })
      .map((rest) => luhnComplete(prefix + rest)),
  );

/** Group sizes of 3–6 digits adding up to `length`. */
function groupSizes(length: number): fc.Arbitrary<number[]> {
  return fc.array(fc.integer({ min: 3, max: 6 }), { minLength: 7, maxLength: 7 }).map((cuts) => {
    const sizes: number[] = [];
    let left = length;
    for (const c of cuts) {
      if (left <= 6) break;
      const size = Math.min(c, left - 3);
      sizes.push(size);
      left -= size;
    }
    sizes.push(left);
    return sizes;
  });
}

/**
 * A random PAN written as people write them: compact, in groups of 4, or in groups of 3–6 digits,
 * with a random separator in each gap and each digit in a random form.
 */
export const writtenPanArb: fc.Arbitrary<WrittenPan> = panArb.chain((pan) =>
  fc
    .tuple(
      fc.oneof(fc.constant([pan.length]), fc.constant(groupsOf4(pan.length)), groupSizes(pan.length)),
      fc.array(fc.constantFrom(...Object.keys(SEPARATORS).filter((k) => k !== 'none')), {
        minLength: 1,
        maxLength: 6,
      }),
      fc.constantFrom(...Object.keys(DIGIT_FORMS)),
    )
    .map(([sizes, seps, form]) => ({
      pan,
      text: writePan(pan, sizes, seps.map((s) => SEPARATORS[s] as string), DIGIT_FORMS[form]),
      shape: `${sizes.join('-')} with ${seps.join('/')} in ${form}`,
    })),
);

/**
 * The canary PANs found in `text` once it is NFKC-normalised and every non-digit removed: the
 * check every artefact must pass.
 */
export function leakedPans(text: string, pans: readonly string[]): string[] {
  const digits = text.normalize('NFKC').replace(/[^0-9]/g, '');
  return pans.filter((p) => digits.includes(p));
}
