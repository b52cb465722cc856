import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AMOUNT_SCALE, formatDecimal, parseDecimal, parsePlainDecimal, toUnits, writeDecimal } from '../../src/core/decimal.js';

function value(raw: string): number {
  const p = parseDecimal(raw);
  if (!p.ok) throw new Error(`expected ${JSON.stringify(raw)} to parse, got: ${p.reason}`);
  return p.value;
}

function reason(raw: string): string {
  const p = parseDecimal(raw);
  if (p.ok) throw new Error(`expected ${JSON.stringify(raw)} to be rejected, got ${p.value}`);
  return p.reason;
}

describe('parseDecimal', () => {
  it('holds amounts as exact E4 integers so 10000.00 and 10000.01 compare exactly', () => {
    // Act
    const limit = value('10000.00');
    const above = value('10000.01');

    // Assess
    expect(limit).toBe(100_000_000);
    expect(above).toBe(100_000_100);
    expect(above > limit).toBe(true);
    expect(above - limit).toBe(100);
    expect(value('10000')).toBe(limit);
  });

  it('adds without binary rounding (0.1 + 0.2 = 0.3)', () => {
    // Act
    const sum = value('0.1') + value('0.2');

    // Assess
    expect(sum).toBe(value('0.3'));
    expect(sum).toBe(3_000);
  });

  it.each([
    ['0', 0],
    ['1', 10_000],
    ['1.5', 15_000],
    ['1.2345', 12_345],
    ['0.0001', 1],
    ['.5', 5_000],
    ['5.', 50_000],
    ['007.10', 71_000],
    ['  42.10 ', 421_000],
  ])('parses plain decimal %j', (raw, expected) => {
    expect(value(raw)).toBe(expected);
  });

  it.each([
    ['1,234', 12_340_000],
    ['1,234.50', 12_345_000],
    ['12,345,678.9', 123_456_789_000],
    ['-1,000.25', -10_002_500],
  ])('accepts thousands grouping %j', (raw, expected) => {
    expect(value(raw)).toBe(expected);
  });

  it.each(['12,34', '1,2345', ',123', '1,,234', '1234,567', '1,234,56'])('rejects malformed grouping %j', (raw) => {
    expect(reason(raw)).toContain('is not a decimal number');
  });

  it.each([
    ['+3', 30_000],
    ['-2.5', -25_000],
    ['+0.01', 100],
  ])('accepts sign in %j', (raw, expected) => {
    expect(value(raw)).toBe(expected);
  });

  it.each([
    '1e3',
    '1E3',
    '1.5e2',
    '2e-2',
    '--1',
    '+-1',
    '+',
    '-',
    '.',
    'abc',
    '12abc',
    '$12',
    '1 000',
    '0x10',
    'NaN',
    'Infinity',
    '1.2.3',
  ])('rejects %j as not a decimal number', (raw) => {
    expect(reason(raw)).toContain('is not a decimal number');
  });

  it.each(['', '   ', '\t'])('rejects empty input %j', (raw) => {
    expect(reason(raw)).toBe('is empty');
  });

  it('rejects more than 4 decimal places when the extra digits are not zero', () => {
    // Act
    const r1 = reason('1.23456');
    const r2 = reason('1.00001');

    // Assess
    expect(r1).toContain('more than 4 decimal places');
    expect(r2).toContain('more than 4 decimal places');
  });

  it('accepts more than 4 decimal places when the extra digits are zeros', () => {
    expect(value('1.23450000')).toBe(12_345);
    expect(value('10000.000000')).toBe(100_000_000);
  });

  it('accepts the largest exact value and rejects the next one as too large', () => {
    // Prepare: MAX_SAFE_INTEGER E4 = 900719925474.0991 currency units
    const max = '900719925474.0991';

    // Act / Assess
    expect(value(max)).toBe(Number.MAX_SAFE_INTEGER);
    expect(value(`-${max}`)).toBe(-Number.MAX_SAFE_INTEGER);
    expect(reason('900719925474.0992')).toContain('is too large');
    expect(reason('-900719925474.0992')).toContain('is too large');
    expect(reason(`1${'0'.repeat(20)}`)).toContain('is too large');
  });

  it('clips long input in the reason', () => {
    // Act
    const r = reason('x'.repeat(500));

    // Assess
    expect(r).toContain('...');
    expect(r.length).toBeLessThan(80);
  });
});

describe('writeDecimal', () => {
  it('writes the bytes of formatDecimal for any integer, and for values that are not safe integers', () => {
    const out = new Uint8Array(64);
    const written = (e4: number): string => Buffer.from(out.subarray(5, writeDecimal(e4, out, 5))).toString('latin1');
    for (const e4 of [0, -0, 1, 10, 100, 1_000, 9_999, 10_000, -1, -10_001, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 2 ** 53, 1.5, -2.25]) {
      expect(written(e4)).toBe(formatDecimal(e4));
    }
    fc.assert(
      fc.property(fc.maxSafeInteger(), (e4) => {
        expect(written(e4)).toBe(formatDecimal(e4));
      }),
    );
  });
});

describe('formatDecimal', () => {
  it.each([
    [0, '0.00'],
    [1, '0.0001'],
    [12_345, '1.2345'],
    [1_230_000, '123.00'],
    [1_234_500, '123.45'],
    [1_234_560, '123.456'],
    [-25_000, '-2.50'],
    [100_000_100, '10000.01'],
  ])('formats %i as %j', (e4, expected) => {
    expect(formatDecimal(e4)).toBe(expected);
  });

  it('round trips through parseDecimal for every safe E4 integer', () => {
    fc.assert(
      fc.property(fc.maxSafeInteger(), (e4) => {
        // Act
        const back = parseDecimal(formatDecimal(e4));

        // Assess
        expect(back).toEqual({ ok: true, value: e4 });
      }),
    );
  });

  it('normalises any parsed decimal string to a canonical form that parses to the same value', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 900_719_925_474n }),
        fc.string({ unit: fc.constantFrom('0', '1', '5', '9'), maxLength: 4 }),
        fc.constantFrom('', '+', '-'),
        (whole, frac, sign) => {
          // Prepare
          const raw = `${sign}${whole}${frac === '' ? '' : `.${frac}`}`;
          const parsed = parseDecimal(raw);

          // Act / Assess
          if (!parsed.ok) return; // the very top of the range can exceed MAX_SAFE_INTEGER
          // `+ 0` folds the -0 that '-0' parses to into 0, which is what formatDecimal prints.
          expect(parseDecimal(formatDecimal(parsed.value))).toEqual({ ok: true, value: parsed.value + 0 });
        },
      ),
    );
  });
});

describe('toUnits', () => {
  it('converts E4 integers to currency units', () => {
    expect(toUnits(12_345)).toBe(1.2345);
    expect(toUnits(100_000_100)).toBe(10000.01);
    expect(AMOUNT_SCALE).toBe(10_000);
  });
});

describe('parseDecimal fast path', () => {
  it('gives the general path’s value for plain numbers around its limits', () => {
    // Prepare: values the digit-by-digit path reads, and neighbours it hands to the general one.
    const cases: [string, number][] = [
      ['0', 0],
      ['3.00', 30_000],
      ['10000.01', 100_000_100],
      ['99999999999.9999', 999_999_999_999_999],
      ['900719925474.0991', 9_007_199_254_740_991],
      ['007.5', 75_000],
      ['1.', 10_000],
    ];

    // Act / Assess
    for (const [text, value] of cases) expect(parseDecimal(text)).toEqual({ ok: true, value });
    expect(parseDecimal('900719925474.0992')).toMatchObject({ ok: false });
    expect(parseDecimal('1.00001')).toEqual({ ok: false, reason: '"1.00001" has more than 4 decimal places' });
    expect(parseDecimal('1.23450')).toEqual({ ok: true, value: 12_345 });
    expect(parseDecimal('1.2.3')).toMatchObject({ ok: false });
    expect(parseDecimal('.5')).toEqual({ ok: true, value: 5_000 });
  });

  it.each([
    ['0', 0],
    ['9', 90_000],
    ['1234567890', 12_345_678_900_000],
    ['98765432109', 987_654_321_090_000],
    ['0.5', 5_000],
    ['90.09', 900_900],
    ['19.99', 199_900],
    ['0.0001', 1],
    ['9.9999', 99_999],
    ['10.0901', 100_901],
  ])('reads the common shape %s itself, digit by digit (%d)', (text, e4) => {
    // Act / Assess: every digit 0–9 before and after the point, 11 digits, 4 decimals.
    expect(parsePlainDecimal(text)).toBe(e4);
    expect(parseDecimal(text)).toEqual({ ok: true, value: e4 });
  });

  it.each(['', '12.', '.5', '123456789012', '1.23456', '+1', '-1', ' 1', '1 ', '1,000', '1e5', '1.2a', 'a1', '1.2.3', '1..2', '1:5', '1/5'])(
    'leaves %j to the general path',
    (text) => {
      // Act / Assess: anything but the common shape is -1, never a wrong value.
      expect(parsePlainDecimal(text)).toBe(-1);
    },
  );
});
