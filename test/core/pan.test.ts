import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createPanTokenizer, luhnValid, maskPansInText } from '../../src/core/pan.js';
import { luhnComplete, TEST_KEY } from '../helpers/transactions.js';

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
  it('masks a Luhn-valid PAN in free text, keeping BIN and last 4', () => {
    expect(maskPansInText('paid with 4111 1111 1111 1111 yesterday')).toBe('paid with 411111******1111 yesterday');
    expect(maskPansInText('card=4111-1111-1111-1111;')).toBe('card=411111******1111;');
    expect(maskPansInText(VISA)).toBe('411111******1111');
  });

  it('masks a PAN glued to letters and several PANs in one text', () => {
    expect(maskPansInText(`x${VISA}y and 5555555555554444`)).toBe('x411111******1111y and 555555******4444');
  });

  it('leaves digit runs that fail the Luhn check alone', () => {
    // Prepare
    const text = 'order 4111111111111112 ref 12345678901234567, tel 4111-1111-1111-1112';

    // Act / Assess
    expect(luhnValid('4111111111111112')).toBe(false);
    expect(luhnValid('12345678901234567')).toBe(false);
    expect(maskPansInText(text)).toBe(text);
  });

  it('masks any 12-digit or longer stretch of whole digit groups that passes Luhn', () => {
    // Prepare: the 16 digits fail Luhn, but their last 12 pass, and a 12-digit PAN exists
    expect(luhnValid('1234567890123456')).toBe(false);
    expect(luhnValid('567890123456')).toBe(true);

    // Act / Assess
    expect(maskPansInText('ref 1234 5678 9012 3456')).toBe('ref 1234 567890**3456');
  });

  it('leaves numbers shorter than 12 digits and longer than 19 digits alone', () => {
    // Prepare: both Luhn-valid, so only their length keeps them
    const short = luhnComplete('1234567890');
    const long = luhnComplete('12345678901234567890');
    const text = `call ${short} or ${long} at 12:30 on 2024-03-01`;

    // Act / Assess
    expect(maskPansInText(text)).toBe(text);
  });

  it.each([
    ['qty 2 4111111111111111', 'qty 2 411111******1111'],
    ['4111111111111111 1 attempt', '411111******1111 1 attempt'],
    ['ref 5 4111 1111 1111 1111', 'ref 5 411111******1111'],
    ['4111 1111 1111 1111 2024', '411111******1111 2024'],
  ])('masks a PAN that has other digits beside it: %j', (text, expected) => {
    expect(maskPansInText(text)).toBe(expected);
  });

  it.each(['tel 0044 4111-1111-1111-1111', '12 4111 1111 1111 1111 34'])(
    'masks a PAN even when a longer PAN-shaped stretch overlaps it: %j',
    (text) => {
      // Act
      const masked = maskPansInText(text);

      // Assess: the overlapping stretch is masked with it; the PAN is not readable
      expect(masked).toContain('******');
      expect(masked.replace(/[\s-]/g, '')).not.toContain(VISA);
      expect(masked.replace(/[\s-]/g, '')).not.toContain(VISA.slice(0, 12));
    },
  );

  it('does not reveal a PAN when a PAN-shaped stretch overlaps its first group', () => {
    // Prepare: 8 digits that, with the PAN's first group, form a Luhn-valid 12-digit stretch
    let prefix = '';
    for (let n = 0; prefix === ''; n++) {
      const p = String(n).padStart(8, '0');
      if (luhnValid(`${p}4111`)) prefix = p;
    }
    const text = `no ${prefix.match(/../g)?.join(' ')} ${formatted(VISA, ' ')} end`;

    // Act
    const masked = maskPansInText(text);

    // Assess
    expect(masked.replace(/[\s-]/g, '')).not.toContain(VISA);
    expect(masked).toContain('*');
  });

  it('never leaves a Luhn-valid PAN readable among other digit groups', () => {
    const groups = fc.array(fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 1, maxLength: 4 }), {
      maxLength: 5,
    });
    fc.assert(
      fc.property(luhnPan, fc.constantFrom(' ' as const, '-' as const), groups, groups, (pan, sep, before, after) => {
        // Prepare
        const text = ['x', ...before, formatted(pan, sep), ...after, 'y'].join(' ');

        // Act
        const masked = maskPansInText(text);

        // Assess
        expect(masked.replace(/[\s-]/g, '')).not.toContain(pan);
      }),
    );
  });

  it('hides at least as many digits of every PAN-shaped stretch as its own mask, and masks nothing else', () => {
    const group = fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 1, maxLength: 6 });
    const part = fc.oneof(
      group,
      luhnPan.map((pan) => formatted(pan, ' ')),
    );
    fc.assert(
      fc.property(fc.array(part, { minLength: 1, maxLength: 6 }), fc.constantFrom(' ', '-'), (parts, sep) => {
        // Prepare: one run of digit groups; every whole-group stretch of 12–19 digits passing Luhn
        const run = parts.join(sep);
        const groups = run.split(/[ -]/);
        const starts = groups.map((_, i) => groups.slice(0, i).join('').length);
        const digits = groups.join('');
        const stretches: [number, number][] = [];
        for (let g = 0; g < groups.length; g++) {
          for (let e = g; e < groups.length; e++) {
            const from = starts[g] ?? 0;
            const to = (starts[e] ?? 0) + (groups[e]?.length ?? 0);
            if (to - from >= 12 && to - from <= 19 && luhnValid(digits.slice(from, to))) stretches.push([from, to]);
          }
        }

        // Act
        const masked = maskPansInText(run).replace(/[ -]/g, '');

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

  it('returns text without long digit runs unchanged', () => {
    expect(maskPansInText('')).toBe('');
    expect(maskPansInText('Shady Electronics Ltd, 42 High St')).toBe('Shady Electronics Ltd, 42 High St');
  });

  it('never leaves a Luhn-valid PAN readable in the text', () => {
    fc.assert(
      fc.property(
        luhnPan,
        fc.constantFrom('' as const, ' ' as const, '-' as const),
        fc.string({ maxLength: 10, unit: fc.constantFrom(...'abc XYZ:;,.') }),
        fc.string({ maxLength: 10, unit: fc.constantFrom(...'abc XYZ:;,.') }),
        (pan, sep, before, after) => {
          // Prepare
          const text = `${before}${formatted(pan, sep)}${after}`;

          // Act
          const masked = maskPansInText(text);

          // Assess
          expect(masked.replace(/[\s-]/g, '')).not.toContain(pan);
          expect(masked).toContain(`${pan.slice(0, 6)}${'*'.repeat(pan.length - 10)}${pan.slice(-4)}`);
        },
      ),
    );
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
