import { describe, expect, it } from 'vitest';
import { createPanTokenizer, luhnValid, maskPan, maskPansInText, mayHoldPanInFields } from '../../src/core/pan.js';
import { luhnComplete, TEST_KEY } from '../helpers/transactions.js';

// The edges of the PAN code that its main tests (pan.test.ts) do not reach: the exact length
// bounds of a card value, opaque card references, characters outside the Basic Multilingual
// Plane and control characters, and the numeric shapes that are never part of a card number.

const VISA = '4111111111111111';
/** A Luhn-valid card number of 13 digits: the shortest found in text. */
const PAN13 = luhnComplete('422222222222');

describe('maskPan', () => {
  it('masks a card value of 12 to 19 digits and nothing shorter or longer', () => {
    // Prepare: Luhn does not matter here, only the count of digits
    const digits = (n: number) => '4'.padEnd(n, '1');

    // Act / Assess
    expect(maskPan(digits(11))).toBeUndefined();
    expect(maskPan(digits(12))).toBe('411111**1111');
    expect(maskPan(digits(19))).toBe('411111*********1111');
    expect(maskPan(digits(20))).toBeUndefined();
    expect(maskPan(`${digits(12).slice(0, 6)} ${digits(12).slice(6)}`)).toBe('411111**1111');
  });

  it('gives no masked form to a value with a letter, ASCII or not, or without digits', () => {
    for (const value of [`x${VISA}`, `${VISA}x`, `é${VISA}`, `Ａ${VISA}`, '', '--', '*']) {
      expect(maskPan(value), value).toBeUndefined();
    }
  });

  it('reads the digits after any non-ASCII separator, the last code unit of the plane included', () => {
    // U+FFFF is one UTF-16 unit: the digit after it is part of the number
    expect(maskPan(`\uffff${VISA}`)).toBe('411111******1111');
    expect(maskPan(`${VISA.slice(0, 8)}\u{1f600}${VISA.slice(8)}`)).toBe('411111******1111');
  });
});

describe('createPanTokenizer, values that are not card numbers', () => {
  it('strips separators from an opaque card reference before tokenising it', () => {
    // Prepare
    const tokenize = createPanTokenizer(TEST_KEY);

    // Act
    const refs = ['card-ab 12', 'cardab12', 'card ab-12'].map(tokenize);

    // Assess
    expect(new Set(refs.map((r) => r.token)).size).toBe(1);
    expect(refs[0]?.bin).toBeUndefined();
    expect(tokenize('cardab12').token).not.toBe(tokenize('cardab13').token);
    expect(new Set(['--', '- -', ' - '].map((v) => tokenize(v).token)).size).toBe(1);
  });

  it('keeps values made of symbols apart: each is tokenised as written', () => {
    // Prepare
    const tokenize = createPanTokenizer(TEST_KEY);

    // Act
    const tokens = ['*', '#', '→', '*#'].map((v) => tokenize(v).token);

    // Assess
    expect(new Set(tokens).size).toBe(4);
    expect(tokenize('*').masked).toBe(`card:${tokenize('*').token.slice(0, 8)}`);
  });
});

describe('maskPansInText, edges', () => {
  it('masks a card number whose groups are split by control characters', () => {
    const text = `${VISA.slice(0, 7)}\u0001${VISA.slice(7)} and ${PAN13.slice(0, 5)}\u0001${PAN13.slice(5)}`;
    expect(maskPansInText(text)).toBe('411111******1111 and 422222***2222');
  });

  it('masks a card number right after a non-ASCII letter at the start of the text', () => {
    expect(maskPansInText(`é${VISA}`)).toBe('é411111******1111');
    expect(maskPansInText(`ß ${PAN13}`)).toBe('ß 422222***2222');
  });

  it('counts the digit after U+FFFF, a single UTF-16 unit, as part of the number', () => {
    expect(maskPansInText(`\uffff${PAN13}`)).toBe('\uffff422222***2222');
    expect(maskPansInText(`x\uffff${PAN13} y`)).toBe('x\uffff422222***2222 y');
  });

  it('masks a card number with emoji between its groups', () => {
    expect(maskPansInText(`paid 4111 \u{1f600} 1111 1111 1111 ok`)).toBe('paid 411111******1111 ok');
  });
});

describe('maskPansInText, what ends a number', () => {
  it('never joins digits before a compact date, date-time or epoch time into a card number', () => {
    // Prepare: each group after a lead of digits that makes the two together a Luhn-valid card
    // number of 13 to 19 digits from 4. A group that is a date or time ends the run, and the lead
    // alone is too short; any other group is the tail of a card number.
    const times = ['20240301', '19990101', '21991231', '202403011200', '20240301120000', '20240301120000123', '1709294400000000'];
    const notTimes = [
      '20241301', '20240001', '20240132', '20240300', '18990101', '22990101',
      '202403012400', '202403011260', '20240301120060', '202403011200001', '2024030112000012',
    ];
    const leadFor = (group: string): string => {
      const head = group.length === 8 ? '4111' : '4';
      for (let x = 0; x <= 9; x++) if (luhnValid(`${head}${x}${group}`)) return `${head}${x}`;
      throw new Error(`no lead for ${group}`);
    };

    // Act / Assess
    for (const group of [...times, ...notTimes]) {
      const lead = leadFor(group);
      const text = `ref ${lead} ${group} end`;
      const expected = times.includes(group) ? text : `ref ${maskPan(lead + group) as string} end`;
      expect(maskPansInText(text), group).toBe(expected);
    }
  });

  it('ends a number at a letter of any script or a digit of another script, and splits it at a symbol', () => {
    // Prepare: without the character in the middle these would be one card number
    const split = ['a', 'z', 'A', 'Z', 'é', 'ß', '\u0663'].map((c) => [`4111 1111 ${c} 1111 1111`, `41111111${c}11111111`]).flat();

    // Act / Assess
    for (const text of split) expect(maskPansInText(text), text).toBe(text);
    expect(maskPansInText(`${VISA}\u21925`)).toBe('411111******1111\u21925');
    expect(maskPansInText(`${VISA}\u00a05`)).toBe('411111******1111\u00a05');
  });
});

describe('maskPansInText, the pre-check on shapes close to a date, a time or an amount', () => {
  // Each text reads almost as a clock time, a year-first date or an amount, but not quite, so
  // its digits are part of a card number: the pre-check must let it through to the full scan.
  // The last digit (X) is chosen so that the full scan finds a card number.
  const nearMisses = [
    // clock times: hour of 3 digits, hour 24, 29 or 32, minutes 60, one-digit minutes or seconds,
    // seconds 60, a fraction of 10 digits, a colon after the seconds, a non-ASCII digit before or
    // after, a space or a digit of a third group where minutes or seconds should end
    '123:45 6789 0123 45X', '24:00 1234 5678 901X', '29:00 1234 5678 901X', '12:60 1234 5678 901X',
    '12:5 1234 5678 9012X', '12:00:5 1234 5678 901X', '12:00:60 1234 5678 X', '12:00:00.4234567891 23X',
    '12:45:30:11 1234 567X', '\uff1412:45 6789 0123 45X', '32:00 1234 5678 901X', '12:45\uff1012 3456 789X',
    '295:2:147.-9:625016', '12:5  3456 7890 123X', '12:34 56 7890 1234 56X', '12:34:5  6789 0123 4X',
    '12: 5 6789 0123 456X', '12:3499 8765 4321 X',
    // year-first dates: month 13 or 0, day 32 or 0, century 18 or 22, a month or day of 3
    // digits, two different separators, a year of 3 or 5 digits, a non-ASCII digit before the year or after the day
    '2024-13-11 1111 111X', '2024-00-11 1111 111X', '2024-01-32 1111 111X', '2024-01-00 1111 111X',
    '1824-01-21 1111 1111 11X', '2224-01-11 1111 111X', '2024-001-11 1111 11X', '2024-01-011 1111 11X',
    '2024-01/11 1111 111X', '202-01-11 1111 1111 X', '20245-01-11 1111 11X', '\uff142024-01-01 1234 56X',
    '2024-01-01\uff101234 5678X',
    // amounts: one or three digits after the dot (then spaces), 13 digits before it, a dotted
    // number, cents followed by a dot and a digit, ASCII or not
    '4234.5 6789 0123 45X', '4234.567 8901 2345 X', '4234567890123.00 1X', '4.23.45 6789 0123 4X',
    '4234.00.5 6789 012X', '4234.5  6789 0123 45X', 'x261473585.3  3921.42717:8', '4234.38.\uff101234 5678 90X',
    '4234.5; 6789 0123 45X', '\uff140.12.0\uff10  01:34073517',
  ];
  const head = `${VISA} x `;
  const maskedHead = maskPansInText(head);
  /** The text with X replaced by the first digit that makes the full scan find a card number. */
  const completed = (template: string): string => {
    for (let x = 0; x <= 9; x++) {
      const text = template.replace('X', String(x));
      if (maskPansInText(head + text) !== maskedHead + text) return text;
    }
    throw new Error(`no digit completes ${template} into a card number`);
  };

  it.each(nearMisses)('masks the card number in %j as the full scan does', (template) => {
    // Prepare: a text that starts with a card number and a letter is scanned whole
    const text = completed(template);
    const scanned = maskPansInText(head + text).slice(maskedHead.length);

    // Act
    const masked = maskPansInText(text);

    // Assess
    expect(masked).not.toBe(text);
    expect(masked).toBe(scanned);
  });
});

describe('mayHoldPanInFields, ordinary values', () => {
  it('stops a line of dates, clock times and amounts at the pre-check', () => {
    // Each line holds more than 13 digits, but only in shapes that are never a card number
    expect(mayHoldPanInFields('2024-03-01 19:30:19.660613 12500.00', ';')).toBe(false);
  });
});
