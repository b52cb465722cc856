import { describe, expect, it } from 'vitest';
import { createPanTokenizer } from '../../src/core/pan.js';
import { quote } from '../../src/core/quote.js';
import { mapHeader, validateRecord } from '../../src/core/schema.js';

const PAN = '4111111111111111';

describe('quote', () => {
  it('masks a card number and clips long values', () => {
    // Act
    const masked = quote(`x ${PAN}`);
    const clipped = quote('a'.repeat(100), 10);

    // Assess
    expect(masked).toBe('"x 411111******1111"');
    expect(clipped).toBe('"aaaaaaa..."');
  });
});

describe('rejection reasons never carry a card number', () => {
  const mapping = mapHeader(['timestamp', 'account_id', 'amount', 'currency', 'label', 'account_balance']);
  const ctx = { tokenizer: createPanTokenizer('q'.repeat(32)), sourceKey: 'f', row: 1 };

  it.each([
    ['amount', ['2026-01-01T00:00:00Z', 'A', PAN, 'USD', '', '']],
    ['timestamp', [`${PAN}x`, 'A', '1.00', 'USD', '', '']],
    ['currency', ['2026-01-01T00:00:00Z', 'A', '1.00', PAN, '', '']],
    ['label', ['2026-01-01T00:00:00Z', 'A', '1.00', 'USD', PAN, '']],
    ['account_balance', ['2026-01-01T00:00:00Z', 'A', '1.00', 'USD', '', `${PAN}.123456`]],
  ])('a PAN typed into %s is rejected with a masked echo', (column, fields) => {
    // Act
    const result = validateRecord(fields, mapping, ctx);

    // Assess
    expect(result.ok).toBe(false);
    const text = JSON.stringify(result);
    expect(text).toContain(column);
    expect(text).not.toContain(PAN);
  });
});
