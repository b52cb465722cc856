import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createPanTokenizer } from '../../src/core/pan.js';

const KEY = 'pan-token-cache-test-key-0123456789';

/** Card values as they arrive: digits with or without separators, and opaque ids. */
const cardValue = fc.oneof(
  fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 12, maxLength: 19 }),
  fc
    .array(fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 4, maxLength: 4 }), { minLength: 4, maxLength: 4 })
    .map((g) => g.join(' ')),
  fc.string({ minLength: 1, maxLength: 24 }),
);

describe('the tokenizer with a cache of recent cards', () => {
  it('gives exactly what the tokenizer without a cache gives, hit or miss, across cache clears', () => {
    fc.assert(
      fc.property(fc.array(cardValue, { minLength: 1, maxLength: 60 }), fc.integer({ min: 1, max: 8 }), (values, size) => {
        // Prepare: a small cache, so it fills and is emptied within a run; every value asked twice.
        const plain = createPanTokenizer(KEY);
        const cached = createPanTokenizer(KEY, { cache: size });

        // Act
        const got = [...values, ...values].map((v) => cached(v));

        // Assess
        expect(got).toEqual([...values, ...values].map((v) => plain(v)));
      }),
    );
  });

  it('answers a card seen again with the same reference, and a different key with a different token', () => {
    // Prepare
    const pan = ['4111', '1111', '1111', '1111'].join('');
    const cached = createPanTokenizer(KEY, { cache: 4 });
    const other = createPanTokenizer(`${KEY}-other`, { cache: 4 });

    // Act
    const first = cached(pan);
    const again = cached(pan);

    // Assess
    expect(again).toBe(first);
    expect(other(pan).token).not.toBe(first.token);
    expect(first.masked).toBe('411111******1111');
  });
});
