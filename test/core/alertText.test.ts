import { describe, expect, it } from 'vitest';
import { formatAlertEmail, formatAmount, MAX_SUBJECT_LENGTH } from '../../src/core/alertText.js';
import { makeAlert, SPACED_PAN, TEST_PAN } from '../helpers/alerts.js';

describe('formatAlertEmail', () => {
  it('writes a subject that says outcome, id, score and amount', () => {
    const { subject } = formatAlertEmail(makeAlert());
    expect(subject).toBe('fraudmini BLOCK: tx-123 score 97 (4,250.00 USD)');
  });

  it('lists every field and each reason with its detail in the body', () => {
    const { body } = formatAlertEmail(makeAlert());
    expect(body).toContain('Transaction:  tx-123');
    expect(body).toContain('Outcome:      block');
    expect(body).toContain('Score:        97.3 / 100');
    expect(body).toContain('Amount:       4,250.00 USD');
    expect(body).toContain('Account:      acc-1');
    expect(body).toContain('Card:         411111******1111');
    expect(body).toContain('Time:         2024-03-01T12:00:00.000Z');
    expect(body).toContain('  - high_value (weight 60): amount 4,250.00 is over 1,000.00 for a new account');
    expect(body).toContain('  - blacklisted_merchant (weight 80, block): merchant note says card ');
  });

  it('masks a PAN that reached a reason detail or the transaction id', () => {
    const { subject, body } = formatAlertEmail(makeAlert({ transaction_id: `id ${TEST_PAN}` }));
    for (const text of [subject, body]) {
      expect(text.replace(/[ -]/g, '')).not.toContain(TEST_PAN);
      expect(text).not.toContain(SPACED_PAN);
    }
    expect(body).toContain('411111******1111 was used');
  });

  it('keeps the subject within 100 printable ASCII characters on one line', () => {
    const { subject } = formatAlertEmail(
      makeAlert({ transaction_id: `très-long\nid-${'x'.repeat(300)}`, amount: 123_456_789.5, currency: 'JPY' }),
    );
    expect(subject.length).toBeLessThanOrEqual(MAX_SUBJECT_LENGTH);
    expect(subject).toMatch(/^[\x20-\x7e]+$/);
    expect(subject).toMatch(/^fraudmini BLOCK: tr\?s-long id-x+\.\.\. score 97 \(123,456,790 JPY\)$/);
  });

  it('says so when no rule fired', () => {
    const { body } = formatAlertEmail(makeAlert({ reasons: [], outcome: 'review' }));
    expect(body).toContain('Reasons: none recorded');
  });
});

describe('formatAmount', () => {
  it('uses the currency minor digits, two when unknown', () => {
    expect(formatAmount(1234.5, 'USD')).toBe('1,234.50');
    expect(formatAmount(1234.5, 'JPY')).toBe('1,235');
    expect(formatAmount(1.2345, 'BHD')).toBe('1.235');
    expect(formatAmount(7, 'XQQ1')).toBe('7.00');
  });
});
