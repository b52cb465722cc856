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
      .string({
        unit: fc.constantFrom(...'0123456789'),
        minLength: length - 1 - prefix.length,
        maxLength: length - 1 - prefix.length,
      })
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

/** A CSV cell holding `text`, quoted when it has to be. */
function cell(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** 2026-02-01T00:00:00Z plus `minutes`, as ISO 8601. */
function at(minutes: number): string {
  return new Date(Date.UTC(2026, 1, 1) + minutes * 60_000).toISOString();
}

/**
 * A CSV that holds every canary everywhere a file can: as column names, in `card_number`, in the
 * text fields and attributes (a quoted line break included), as a transaction id, and in every
 * field that rejects it (amount, timestamp, label, currency, balance). Each shape's first row is
 * over 10,000, so it alerts.
 */
export function canaryCsv(shapes: readonly WrittenPan[], idPrefix = 'c'): string {
  const named = shapes.slice(0, 3);
  const header = [
    ...['transaction_id', 'timestamp', 'account_id', 'card_number', 'amount', 'currency'],
    ...['merchant', 'label', 'account_balance', 'note'],
    ...named.map((c) => c.text),
  ];
  const rows = [header];
  for (const [i, c] of shapes.entries()) {
    const ts = at(i);
    const extra = named.map(() => c.text);
    rows.push([
      ...[`${idPrefix}${i}`, ts, `acct ${c.text}`, c.text, '15000.00', 'USD'],
      ...[`shop ${c.text}`, '', '', `paid with ${c.text}`, ...extra],
    ]);
    rows.push([c.text, ts, 'acct-id', '', '20.00', 'USD', 'M', '', '', '', ...named.map(() => '')]);
    const bad = (k: number, field: number): string[] => {
      const row = [`${idPrefix}${i}-bad${k}`, ts, 'acct-bad', '', '20.00', 'USD', 'M', '', '', '', ...named.map(() => '')];
      row[field] = c.text;
      return row;
    };
    rows.push(bad(1, 4), bad(2, 1), bad(3, 7), bad(4, 5), bad(5, 8));
  }
  return `${rows.map((r) => r.map(cell).join(',')).join('\n')}\n`;
}

/** A CSV whose header maps onto nothing (the file fails), holding every canary. */
export function canaryBrokenCsv(shapes: readonly WrittenPan[]): string {
  return `foo,bar\n${shapes.map((c, i) => `${i},${cell(c.text)}`).join('\n')}\n${shapes.map((c) => c.text).join(' | ')}\n`;
}

/** File names, one per canary that can be part of one: `batch_<PAN>.csv`. */
export function canaryFileNames(shapes: readonly WrittenPan[]): string[] {
  return shapes.filter((c) => nameSafe(c.text)).map((c) => `batch_${c.text}.csv`);
}

/** A small valid file (one alerting row, one rejected row) to go under a canary file name. */
export function canaryNamedCsv(index: number): string {
  const ts = at(1000 + index);
  return `transaction_id,timestamp,account_id,amount\n,${ts},named-${index},15000.00\nn${index}-bad,${ts},named,-1\n`;
}

/** A rules document with a canary in a rule's detail and in a list. */
export function canaryRules(shapes: readonly WrittenPan[]): unknown {
  return {
    version: 'canary',
    lists: { blocked_cards: shapes.map((c) => c.text) },
    rules: [{ id: 'high_value', when: 'amount > 10000', weight: 60, detail: `card ${shapes[0]?.text ?? ''} spent {amount}` }],
  };
}

/** One HTTP request of the canary suite, and the statuses it may get. */
export interface CanaryRequest {
  method: 'GET' | 'POST' | 'PUT';
  path: string;
  /** A JSON body, or a raw string sent as `application/json`. */
  body?: unknown;
  raw?: string;
  expect: readonly number[];
}

/**
 * Every canary through every API route: keys and values of a POST, a PAN as the transaction id,
 * rejected fields, a body that is not JSON, label bodies and label and read paths, a rules
 * document; then the reads that return what was stored.
 */
export function canaryRequests(shapes: readonly WrittenPan[], idPrefix = 'api'): CanaryRequest[] {
  const out: CanaryRequest[] = [];
  for (const [i, c] of shapes.entries()) {
    const id = `${idPrefix}${i}`;
    const base = { transaction_id: id, timestamp: at(2000 + i), account_id: `api ${c.text}`, amount: '15000.00' };
    out.push(
      {
        method: 'POST',
        path: '/transactions',
        body: { ...base, card_number: c.text, merchant: c.text, note: `card ${c.text}`, [c.text]: c.text },
        expect: [201],
      },
      {
        method: 'POST',
        path: '/transactions',
        body: { ...base, transaction_id: `${idPrefix} ${c.text}`, amount: '10.00' },
        expect: [201],
      },
      { method: 'POST', path: '/transactions', body: { ...base, amount: c.text }, expect: [400] },
      { method: 'POST', path: '/transactions', body: { ...base, timestamp: c.text }, expect: [400] },
      { method: 'POST', path: '/transactions', body: { ...base, [c.text]: { nested: c.text } }, expect: [400] },
      { method: 'POST', path: '/transactions', raw: `{"card_number": ${c.text}}`, expect: [400] },
      { method: 'POST', path: `/transactions/${id}/label`, body: { label: c.text }, expect: [400] },
      { method: 'POST', path: `/transactions/${id}/label`, body: { label: 'fraud' }, expect: [201] },
      // Found when a file stored a transaction under this id (masked) before the request came.
      { method: 'POST', path: `/transactions/${encodeURIComponent(c.text)}/label`, body: { label: 'fraud' }, expect: [201, 404] },
      { method: 'GET', path: `/transactions/${encodeURIComponent(c.text)}`, expect: [200, 404] },
      { method: 'GET', path: `/transactions/${id}`, expect: [200] },
    );
  }
  out.push(
    { method: 'PUT', path: '/rules', body: canaryRules(shapes), expect: [400] },
    { method: 'GET', path: '/rules', expect: [200] },
    { method: 'GET', path: '/alerts?limit=1000', expect: [200] },
    { method: 'GET', path: '/stats', expect: [200] },
  );
  return out;
}
