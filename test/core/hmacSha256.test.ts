import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HmacSha256 } from '../../src/core/hmacSha256.js';

function reference(key: Buffer, text: string, chars: number): string {
  return createHmac('sha256', key).update(text).digest('base64url').slice(0, chars);
}

describe('HmacSha256', () => {
  it('matches RFC 4231 test case 2', () => {
    // Prepare
    const mac = new HmacSha256(Buffer.from('Jefe'));

    // Act
    const out = mac.base64url('what do ya want for nothing?', 43);

    // Assess
    const hex = '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843';
    expect(out).toBe(Buffer.from(hex, 'hex').toString('base64url'));
  });

  it('equals node:crypto for any key and text, across the one-block limit and non-ASCII', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 150 }),
        fc.oneof(fc.string({ maxLength: 70 }), fc.string({ unit: 'binary', maxLength: 70 })),
        fc.integer({ min: 1, max: 43 }),
        (keyBytes, text, chars) => {
          const key = Buffer.from(keyBytes);
          expect(new HmacSha256(key).base64url(text, chars)).toBe(reference(key, text, chars));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('equals node:crypto for card numbers of every length, reusing one instance', () => {
    // Prepare
    const key = Buffer.from('a tokenisation key of 32 bytes!!');
    const mac = new HmacSha256(key);

    // Act / Assess: the same instance gives each call its own result (no state leaks between calls).
    for (let n = 0; n <= 56; n++) {
      const text = '4111111111111111111111111111111111111111111111111111111111'.slice(0, n);
      expect(mac.base64url(text, 22)).toBe(reference(key, text, 22));
    }
  });
});
