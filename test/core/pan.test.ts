import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createPanTokenizer, luhnValid, maskPan, maskPansInText, mayHoldPanInFields, tokenisePansInText } from '../../src/core/pan.js';
import { seededRandom } from '../helpers/random.js';
import { luhnComplete, TEST_KEY } from '../helpers/transactions.js';
import { canaries, groupsOf4, leakedPans, panArb, writePan, writtenPanArb } from '../security/panShapes.js';

const VISA = '4111111111111111';
/** A Luhn-valid 19-digit PAN. */
const PAN19 = luhnComplete('601100000000000000');

/** Random Luhn-valid PANs of 12–19 digits, as compact digits. */
const luhnPan = fc
  .integer({ min: 12, max: 19 })
  .chain((length) =>
    fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: length - 1, maxLength: length - 1 }),
  )
  .map(luhnComplete);

/** Writes a PAN in groups of 4 with one space or dash between groups, or compact. */
function formatted(pan: string, separator: '' | ' ' | '-'): string {
  return (pan.match(/.{1,4}/g) ?? []).join(separator);
}

describe('createPanTokenizer', () => {
  it('gives the same token for the same PAN however it is written', () => {
    // Prepare
    const tokenize = createPanTokenizer(TEST_KEY);

    // Act
    const refs = [VISA, '4111 1111 1111 1111', '4111-1111-1111-1111', ' 4111 1111-1111 1111 '].map(tokenize);

    // Assess
    const tokens = new Set(refs.map((r) => r.token));
    expect(tokens.size).toBe(1);
    expect(refs[0]?.token).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('gives the same token whatever separators or digit forms a PAN is written with', () => {
    // Prepare
    const tokenize = createPanTokenizer(TEST_KEY);
    const expected = tokenize(VISA);

    // Act
    const refs = ['4111.1111.1111.1111', '4111 - 1111 - 1111 - 1111', '4111\u00a01111/1111_1111', '４１１１１１１１１１１１１１１１'].map(tokenize);

    // Assess
    for (const ref of refs) expect(ref).toEqual(expected);
  });

  it('tokenises any written PAN as its digits, with BIN and last 4', () => {
    const tokenize = createPanTokenizer(TEST_KEY);
    fc.assert(
      fc.property(writtenPanArb, (written) => {
        expect(tokenize(written.text), written.shape).toEqual(tokenize(written.pan));
        expect(maskPan(written.text)).toBe(tokenize(written.pan).masked);
      }),
      { numRuns: 500 },
    );
  });

  it('is deterministic across tokenizer instances with the same key', () => {
    expect(createPanTokenizer(TEST_KEY)(VISA)).toEqual(createPanTokenizer(TEST_KEY)(VISA));
    expect(createPanTokenizer(Buffer.from(TEST_KEY, 'utf8'))(VISA)).toEqual(createPanTokenizer(TEST_KEY)(VISA));
  });

  it('gives different tokens under different keys and for different PANs', () => {
    // Prepare
    const a = createPanTokenizer(TEST_KEY);
    const b = createPanTokenizer(`${TEST_KEY}x`);

    // Act / Assess
    expect(a(VISA).token).not.toBe(b(VISA).token);
    expect(a(VISA).token).not.toBe(a('5555555555554444').token);
  });

  it('keeps BIN, last 4 and a masked form of a 16-digit PAN', () => {
    // Act
    const ref = createPanTokenizer(TEST_KEY)('4111 1111 1111 1111');

    // Assess
    expect(ref).toEqual({ token: expect.any(String), bin: '411111', last4: '1111', masked: '411111******1111' });
  });

  it('keeps BIN, last 4 and a masked form of a 19-digit PAN written with dashes', () => {
    // Act
    const ref = createPanTokenizer(TEST_KEY)(formatted(PAN19, '-'));

    // Assess
    expect(ref.bin).toBe('601100');
    expect(ref.last4).toBe(PAN19.slice(-4));
    expect(ref.masked).toBe(`601100*********${PAN19.slice(-4)}`);
    expect(ref.masked).toHaveLength(19);
  });

  it.each(['card_abc123', '12345678901', '12345678901234567890', 'tok-0001'])(
    'tokenises the non-PAN card id %j without BIN or last 4',
    (raw) => {
      // Act
      const ref = createPanTokenizer(TEST_KEY)(raw);

      // Assess
      expect(ref.bin).toBeUndefined();
      expect(ref.last4).toBeUndefined();
      expect(ref.masked).toBe(`card:${ref.token.slice(0, 8)}`);
    },
  );

  it('refuses a key shorter than 16 bytes', () => {
    expect(() => createPanTokenizer('0123456789abcde')).toThrow(RangeError);
    expect(() => createPanTokenizer(Buffer.alloc(15))).toThrow('at least 16 bytes');
  });

  it('counts the key length in bytes, not characters', () => {
    // 8 two-byte characters = 16 bytes
    expect(() => createPanTokenizer('é'.repeat(8))).not.toThrow();
    expect(() => createPanTokenizer(Buffer.alloc(16))).not.toThrow();
  });

  it('never keeps the clear PAN in any field of the CardRef', () => {
    // Prepare
    const tokenize = createPanTokenizer(TEST_KEY);

    fc.assert(
      fc.property(luhnPan, fc.constantFrom('' as const, ' ' as const, '-' as const), (pan, sep) => {
        // Act
        const ref = tokenize(formatted(pan, sep));

        // Assess
        const everything = JSON.stringify(ref);
        expect(everything).not.toContain(pan);
        for (const field of Object.values(ref)) expect(String(field).replace(/\D/g, '')).not.toContain(pan);
        expect(ref.bin).toBe(pan.slice(0, 6));
        expect(ref.last4).toBe(pan.slice(-4));
        expect(ref.masked).toBe(`${pan.slice(0, 6)}${'*'.repeat(pan.length - 10)}${pan.slice(-4)}`);
      }),
    );
  });
});

describe('maskPansInText', () => {
  it.each([
    ['4111.1111.1111.1111', 'dots'],
    ['4111  1111   1111    1111', 'several spaces'],
    ['4111 - 1111 - 1111 - 1111', 'spaced dashes'],
    ['4111\t1111\t1111\t1111', 'tabs'],
    ['4111\u00a01111\u00a01111\u00a01111', 'no-break spaces'],
    ['4111/1111/1111/1111', 'slashes'],
    ['4111_1111_1111_1111', 'underscores'],
    ['4111 1111\n1111 1111', 'a line break'],
    ['4111 11\n11 1111 1111', 'a line break inside a group'],
    ['４１１１１１１１１１１１１１１１', 'full-width digits'],
    ['４１１１ １１１１ １１１１ １１１１', 'full-width digits and spaces'],
    ['4111\u3000１１１１－1111 ‒ 1111', 'full-width separators and digits mixed'],
    ['\u{1d7d2}\u{1d7cf}\u{1d7cf}\u{1d7cf} \u{1d7cf}\u{1d7cf}\u{1d7cf}\u{1d7cf} \u{1d7cf}\u{1d7cf}\u{1d7cf}\u{1d7cf} \u{1d7cf}\u{1d7cf}\u{1d7cf}\u{1d7cf}', 'mathematical digits (two UTF-16 units each)'],
  ])('masks a PAN written as %j (%s)', (written) => {
    // Act
    const masked = maskPansInText(`paid with ${written}, thanks`);

    // Assess
    expect(masked).toBe('paid with 411111******1111, thanks');
  });

  it('masks a PAN glued to letters and several PANs in one text', () => {
    expect(maskPansInText(`x${VISA}y and 5555555555554444`)).toBe('x411111******1111y and 555555******4444');
  });

  it('masks a PAN whatever digits stand beside it, as long as a separator does', () => {
    expect(maskPansInText('qty 2 4111111111111111')).toBe('qty 2 411111******1111');
    expect(maskPansInText('4111 1111 1111 1111 2024')).toBe('411111******1111 2024');
    expect(maskPansInText('4111 1111 1111 1111.00')).toBe('411111******1111.00');
    expect(maskPansInText('2024-03-01 4111111111111111 12:00')).toBe('2024-03-01 411111******1111 12:00');
  });

  it('leaves digit runs that fail the Luhn check or no issuer would start with alone', () => {
    // Prepare: Luhn-valid, but starting with 0, or with 1 at another length than 15
    const zero = luhnComplete('000000000012345');
    const epochLike = luhnComplete('170929440000');
    const text = `order 4111111111111112 ref 12345678901234567, tel 4111-1111-1111-1112, ${zero}, ${epochLike}`;

    // Act / Assess
    expect(luhnValid('4111111111111112')).toBe(false);
    expect(luhnValid(zero) && luhnValid(epochLike)).toBe(true);
    expect(maskPansInText(text)).toBe(text);
  });

  it('finds card numbers only at the start of a digit group, whatever groups came earlier in the text', () => {
    // Prepare: a card number glued behind leading zeros is one longer group starting with 0 (not
    // a card number). Earlier short groups (`1 22 333`) leave group starts behind that fall inside
    // it; a date-time or epoch group after it ends the run.
    const glued = `000${VISA}`;
    const texts = [
      `1 22 x 0${VISA}`,
      `1 22 x 0${VISA} y`,
      `1 22 333 x ${glued} 20240301120000`,
      `1 22 333 x ${glued} 20240301120000 y`,
      `1 22 333 x ${glued} 1709294400000`,
      `1 22 333 x ${glued} 1709294400000 y`,
    ];

    // Act, Assess
    for (const text of texts) expect(maskPansInText(text)).toBe(text);
  });

  it('masks both card numbers when one character holds the last digit of one and the first of the next', () => {
    // Prepare: ¼ is 1⁄4 after NFKC: the last digit of the first number, a separator, and the
    // first digit of the second
    const text = `${VISA.slice(0, 15)}\u00bc${VISA.slice(1)} end`;

    // Act
    const masked = maskPansInText(text);

    // Assess
    expect(masked).toBe('411111******1111411111******1111 end');
  });

  it('masks a 15-digit number from 1 (an airline card)', () => {
    const uatp = luhnComplete('12345678901234');
    expect(maskPansInText(`uatp ${uatp}`)).toBe(`uatp 123456*****${uatp.slice(-4)}`);
  });

  it('leaves numbers shorter than 13 digits and longer than 19 digits alone', () => {
    // Prepare: both Luhn-valid, so only their length keeps them
    const short = luhnComplete('41234567890');
    const long = luhnComplete('4234567890123456789');
    const text = `call ${short} or ${long} at 12:30 on 2024-03-01`;

    // Act / Assess
    expect(maskPansInText(text)).toBe(text);
  });

  it('returns text without long digit runs unchanged, as the same string', () => {
    const text = 'Shady Electronics Ltd, 42 High St, 12500.00 USD, 2024-03-01T12:00:00Z';
    expect(maskPansInText('')).toBe('');
    expect(maskPansInText(text)).toBe(text);
  });

  it('never leaves a PAN readable, however it is written and whatever text surrounds it', () => {
    const around = fc.string({ maxLength: 12, unit: fc.constantFrom(...'abc XYZ:;,.é\n') });
    fc.assert(
      fc.property(writtenPanArb, around, around, (written, before, after) => {
        // Prepare: a letter on each side, so the surrounding text cannot glue digits to the PAN
        const text = `${before}x ${written.text} y${after}`;

        // Act
        const masked = maskPansInText(text);

        // Assess
        expect(leakedPans(masked, [written.pan]), written.shape).toEqual([]);
        expect(masked).toContain(`${written.pan.slice(0, 6)}${'*'.repeat(written.pan.length - 10)}${written.pan.slice(-4)}`);
      }),
      { numRuns: 2000 },
    );
  });

  it('never leaves a PAN readable among other digit groups', () => {
    const groups = fc.array(fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 1, maxLength: 4 }), { maxLength: 5 });
    fc.assert(
      fc.property(writtenPanArb, groups, groups, fc.constantFrom(' ', '-', '_', '\t'), (written, before, after, sep) => {
        // Prepare
        const text = ['x', ...before, written.text, ...after, 'y'].join(sep);

        // Act
        const masked = maskPansInText(text);

        // Assess
        expect(leakedPans(masked, [written.pan]), written.shape).toEqual([]);
      }),
      { numRuns: 1000 },
    );
  });

  it('hides at least as many digits of every PAN-shaped stretch of whole groups as its own mask, and masks nothing else', () => {
    const group = fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 1, maxLength: 6 });
    const part = fc.oneof(
      group,
      panArb.map((pan) => writePan(pan, groupsOf4(pan.length), ' ')),
    );
    fc.assert(
      fc.property(fc.array(part, { minLength: 1, maxLength: 6 }), fc.constantFrom(' ', '_', '\t', '\u00a0', ' \n '), (parts, sep) => {
        // Prepare: one run of digit groups; every whole-group stretch of 13–19 digits an issuer could have made
        const run = parts.join(sep);
        const groups = run.split(/\D+/);
        const starts = groups.map((_, i) => groups.slice(0, i).join('').length);
        const digits = groups.join('');
        const stretches: [number, number][] = [];
        for (let g = 0; g < groups.length; g++) {
          for (let e = g; e < groups.length; e++) {
            const from = starts[g] ?? 0;
            const to = (starts[e] ?? 0) + (groups[e]?.length ?? 0);
            const s = digits.slice(from, to);
            const issuer = s[0] !== '0' && (s[0] !== '1' || s.length === 15);
            if (s.length >= 13 && s.length <= 19 && issuer && luhnValid(s)) stretches.push([from, to]);
          }
        }

        // Act
        const masked = maskPansInText(run).replace(/[^0-9*]/g, '');

        // Assess: same digit positions, '*' only inside PAN-shaped stretches, each hidden enough
        expect(masked).toHaveLength(digits.length);
        for (const [i, c] of [...masked].entries()) {
          if (c === '*') expect(stretches.some(([from, to]) => i >= from && i < to)).toBe(true);
          else expect(c).toBe(digits[i]);
        }
        for (const [from, to] of stretches) {
          const hidden = [...masked.slice(from, to)].filter((c) => c === '*').length;
          expect(hidden).toBeGreaterThanOrEqual(to - from - 10);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('masks every canary of the shared generator', () => {
    for (const c of canaries()) {
      const masked = maskPansInText(`note: ${c.text}.`);
      expect(leakedPans(masked, [c.pan]), c.shape).toEqual([]);
    }
  });

  it('stays linear on long text: 2 MiB of digit groups, with a PAN at the end', () => {
    // Prepare: random groups of 1–5 digits and separators (a quadratic scan would not finish)
    const rand = seededRandom(3);
    let text = '';
    while (text.length < 2 << 20) {
      text += String(Math.floor(rand() * 10 ** (1 + Math.floor(rand() * 5))));
      text += ' -./_'[Math.floor(rand() * 5)];
    }
    text += ` x ${writePan(VISA, [4, 4, 4, 4], '.')}`;

    // Act
    const masked = maskPansInText(text);

    // Assess
    expect(masked.endsWith(' x 411111******1111')).toBe(true);
    expect(masked.replace(/\D/g, '').length).toBeLessThan(text.replace(/\D/g, '').length);
  });
});

describe('maskPansInText leaves what is not a card number alone', () => {
  const date = fc.date({ min: new Date('1990-01-01T00:00:00Z'), max: new Date('2150-12-31T23:59:59Z'), noInvalidDate: true });
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  const timestamp = fc.tuple(date, fc.integer({ min: 0, max: 8 })).map(([d, style]) => {
    const iso = d.toISOString();
    const [day, time] = [iso.slice(0, 10), iso.slice(11, 19)];
    const dmy = `${pad(d.getUTCDate())}/${pad(d.getUTCMonth() + 1)}/${d.getUTCFullYear()}`;
    const compact = iso.slice(0, 19).replace(/\D/g, '');
    return [
      iso,
      `${day} ${time}`,
      `${day} ${iso.slice(11, 23)}`,
      `${day}T${time}+01:00`,
      `${day} ${time} +0100`,
      `${dmy} ${time.slice(0, 5)}`,
      day.replaceAll('-', '/'),
      compact,
      `${compact}${iso.slice(20, 23)}`,
    ][style] as string;
  });
  const epoch = fc.oneof(
    fc.integer({ min: 1e9, max: 2e9 - 1 }).map(String),
    fc.integer({ min: 1e12, max: 2e12 - 1 }).map(String),
    fc.bigInt({ min: 10n ** 15n, max: 2n * 10n ** 15n - 1n }).map(String),
  );
  const amount = fc.tuple(fc.bigInt({ min: 1n, max: 99_999_999_999n }), fc.integer({ min: 0, max: 99 }), fc.boolean()).map(
    ([whole, cents, grouped]) => `${grouped ? whole.toLocaleString('en-US') : String(whole)}.${pad(cents)}`,
  );
  const uuid = fc.tuple(fc.uuid(), fc.boolean()).map(([u, upper]) => (upper ? u.toUpperCase() : u));
  const ip = fc.ipV4();
  const separator = fc.constantFrom(', ', ' ', ';', ' | ', ',', '\t');
  const listOf = (item: fc.Arbitrary<string>): fc.Arbitrary<string> =>
    fc.tuple(fc.array(item, { minLength: 1, maxLength: 6 }), separator).map(([items, sep]) => items.join(sep));

  it('still masks a PAN written among timestamps, amounts, epoch times and addresses', () => {
    const item = fc.oneof(timestamp, epoch, amount, uuid, ip);
    fc.assert(
      fc.property(fc.array(item, { maxLength: 3 }), writtenPanArb, fc.array(item, { maxLength: 3 }), separator, (before, written, after, sep) => {
        // Act
        const masked = maskPansInText([...before, written.text, ...after].join(sep));

        // Assess
        expect(leakedPans(masked, [written.pan]), written.shape).toEqual([]);
      }),
      { numRuns: 2000 },
    );
  });

  it.each([
    ['timestamps', timestamp],
    ['epoch times', epoch],
    ['amounts', amount],
    ['UUIDs', uuid],
    ['IPv4 addresses', ip],
    ['all of them mixed', fc.oneof(timestamp, epoch, amount, uuid, ip)],
  ])('%s, alone or in a list', (_name, item) => {
    fc.assert(
      fc.property(listOf(item), (text) => {
        expect(maskPansInText(text)).toBe(text);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('maskPansInText, the pre-check', () => {
  // A text that starts with a card number and a letter is always scanned whole, so its tail is
  // masked exactly as the full scan masks it. The same tail alone goes through the cheap
  // pre-check first, which must never stop a text the full scan would change: the two agree.
  const head = `${VISA} x `;
  const two = (lo: number, hi: number) => fc.integer({ min: lo, max: hi }).map((n) => String(n).padStart(2, '0'));
  const date = fc.tuple(fc.integer({ min: 1890, max: 2230 }), two(0, 13), two(0, 32), fc.constantFrom('-', '/', '.')).map(
    ([y, m, d, sep]) => `${y}${sep}${m}${sep}${d}`,
  );
  const clock = fc
    .tuple(two(0, 25), two(0, 61), fc.option(two(0, 61)), fc.option(fc.integer({ min: 0, max: 999_999 })))
    .map(([h, m, sec, frac]) => `${h}:${m}${sec === null ? '' : `:${sec}${frac === null ? '' : `.${frac}`}`}`);
  const amount = fc.tuple(fc.integer({ min: 0, max: 99_999_999 }), two(0, 99)).map(([w, c]) => `${w}.${c}`);
  const digits = fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 1, maxLength: 8 });
  const card = fc.tuple(luhnPan, fc.constantFrom('' as const, ' ' as const, '-' as const)).map(([pan, sep]) => formatted(pan, sep));
  const piece = fc.oneof(date, clock, amount, digits, card);
  const glue = fc.constantFrom('', ' ', '-', '.', ':', '/', ',', 'T', ' x ');
  const tail = fc.array(fc.tuple(piece, glue), { minLength: 1, maxLength: 6 }).map((parts) => parts.map(([p, g]) => p + g).join(''));

  it('never stops a text the full scan would change', () => {
    const maskedHead = maskPansInText(head);
    expect(maskedHead).toBe('411111******1111 x ');
    fc.assert(
      fc.property(tail, (text) => {
        const whole = maskPansInText(head + text);
        expect(whole.startsWith(maskedHead)).toBe(true);
        expect(maskPansInText(text)).toBe(whole.slice(maskedHead.length));
      }),
      { numRuns: 3000 },
    );
  });
});

describe('tokenisePansInText', () => {
  const tokenize = createPanTokenizer(TEST_KEY);

  it('replaces each card number with its masked form and the token of its digits', () => {
    // Prepare: two numbers written differently; the second with separators
    const text = `order-${VISA}/5555 5555 5555 4444`;

    // Act
    const id = tokenisePansInText(text, tokenize);

    // Assess
    expect(id).toBe(`order-411111******1111~${tokenize(VISA).token}/555555******4444~${tokenize('5555555555554444').token}`);
  });

  it('keeps ids that differ only in the hidden digits apart, and gives one number one id', () => {
    // Prepare: the first three Luhn-valid 16-digit numbers with BIN 411111 and last 4 1111
    const ids: string[] = [];
    for (let n = 0; ids.length < 3; n++) {
      const pan = `411111${String(n).padStart(6, '0')}1111`;
      if (luhnValid(pan)) ids.push(pan);
    }
    const masked = ids.map((n) => maskPansInText(`ord ${n}`));

    // Act
    const tokenised = ids.map((n) => tokenisePansInText(`ord ${n}`, tokenize));

    // Assess
    expect(new Set(masked).size).toBeLessThan(ids.length);
    expect(new Set(tokenised).size).toBe(ids.length);
    expect(tokenised).toEqual(ids.map((n) => tokenisePansInText(`ord ${n}`, createPanTokenizer(TEST_KEY))));
    for (const [i, t] of tokenised.entries()) expect(leakedPans(t, [ids[i] as string])).toEqual([]);
  });

  it('returns an id without a card number unchanged', () => {
    for (const id of ['', 'tx-0001', '2024-03-01T12:00:00Z', '12500.00', '4111111111111112']) {
      expect(tokenisePansInText(id, tokenize)).toBe(id);
    }
  });
});

describe('mayHoldPanInFields', () => {
  it('is false when only the delimiter joins fields into 13 or more digits', () => {
    // Prepare: each field has fewer than 13 digits; a line of them has more
    const line = ['123456789012', '4111', '2024-03-01', '42.10'].join(';');

    // Act / Assess: the delimiter ends a run; joined by a dot they could read as one number
    expect(mayHoldPanInFields(line, ';')).toBe(false);
    expect(mayHoldPanInFields(line.replaceAll(';', '|'), '|')).toBe(false);
    expect(maskPansInText(line.replaceAll(';', ' '))).toBe(line.replaceAll(';', ' '));
    expect(mayHoldPanInFields(line.replaceAll(';', ' '), ';')).toBe(true);
    // After a date the count starts again, and the delimiter still ends the run that follows
    expect(mayHoldPanInFields('2024-03-01 12345678;12345', ';')).toBe(false);
    expect(mayHoldPanInFields('2024-03-01 12345678 12345', ';')).toBe(true);
  });

  it('is true whenever some field holds a card number, however it is written', () => {
    fc.assert(
      fc.property(writtenPanArb, fc.constantFrom(',', ';', '|', '\t'), fc.nat(3), (written, d, at) => {
        // Prepare: the PAN in one field among short ones
        const fields = ['abc', '12', '2024-03-01', 'x'];
        fields.splice(at, 0, written.text.replaceAll(d, ' '));

        // Act / Assess
        expect(mayHoldPanInFields(fields.join(d), d), written.shape).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('is false for lines of ordinary values: names, amounts, times, short ids', () => {
    for (const line of ['acc-1,42.10,USD,2024-03-01T12:00:00Z,Shady Ltd', 'tx 1;2024-03-01 12:00:00.123;12500.00;1,250.00']) {
      expect(mayHoldPanInFields(line, line.includes(';') ? ';' : ',')).toBe(false);
    }
  });
});

describe('luhnValid', () => {
  it('accepts valid and rejects invalid check digits', () => {
    expect(luhnValid('79927398713')).toBe(true);
    expect(luhnValid('79927398710')).toBe(false);
    expect(luhnValid(VISA)).toBe(true);
    expect(luhnValid(PAN19)).toBe(true);
  });
});
