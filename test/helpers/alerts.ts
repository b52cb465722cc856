import type { Alert } from '../../src/core/views.js';

/** A PAN built at run time (no card-number literal in the source), and the same with spaces. */
export const TEST_PAN = ['4111', '1111', '1111', '1111'].join('');
export const SPACED_PAN = TEST_PAN.replace(/(\d{4})(?=\d)/g, '$1 ');

/** A `block` alert for 4,250.00 USD whose second reason detail has a PAN pasted into it. */
export function makeAlert(overrides: Partial<Alert> = {}): Alert {
  return {
    id: 42,
    transaction_id: 'tx-123',
    outcome: 'block',
    score: 97.26,
    reasons: [
      { rule: 'high_value', weight: 60, detail: 'amount 4,250.00 is over 1,000.00 for a new account' },
      { rule: 'blacklisted_merchant', weight: 80, detail: `merchant note says card ${SPACED_PAN} was used`, action: 'block' },
    ],
    account_id: 'acc-1',
    card: '411111******1111',
    amount: 4250,
    currency: 'USD',
    timestamp: '2024-03-01T12:00:00.000Z',
    created_at: '2024-03-01T12:00:01.000Z',
    ...overrides,
  };
}
