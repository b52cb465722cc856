import { describe, expect, it } from 'vitest';
import { compileRuleSet } from '../../src/core/rules.js';
import { decide } from '../../src/core/scoring.js';
import { alertFor, isAlerting, transactionFromView, transactionView } from '../../src/core/views.js';
import { firstSeen, makeTx, money, testTokenizer } from '../helpers/transactions.js';

const VISA = '4111111111111111';

describe('transactionView', () => {
  it('renders snake_case fields, ISO time and amounts in currency units', () => {
    // Prepare
    const tx = makeTx({
      transactionId: 't-1',
      amount: money('10000.01'),
      accountBalance: money('-2.5'),
      merchantCategory: '5411',
      destinationCountry: 'FR',
      label: 0,
    });

    // Act
    const v = transactionView(tx);

    // Assess
    expect(v).toEqual({
      transaction_id: 't-1',
      timestamp: '2024-03-01T12:00:00.000Z',
      account_id: 'acc-1',
      amount: 10000.01,
      currency: 'USD',
      merchant_category: '5411',
      destination_country: 'FR',
      account_balance: -2.5,
      label: 0,
    });
  });

  it('holds the card token, BIN and last 4 but never the PAN', () => {
    // Prepare
    const tx = makeTx({ card: testTokenizer()(VISA), attributes: { note: 'n' } });

    // Act
    const v = transactionView(tx);

    // Assess
    expect(v.card).toEqual({ token: tx.card?.token, bin: '411111', last4: '1111', masked: '411111******1111' });
    expect(v.attributes).toEqual({ note: 'n' });
    expect(JSON.stringify(v)).not.toContain(VISA);
  });

  it('does not share the card object with the transaction', () => {
    // Prepare
    const tx = makeTx({ card: testTokenizer()(VISA) });

    // Act
    const v = transactionView(tx);

    // Assess
    expect(v.card).not.toBe(tx.card);
  });
});

describe('alertFor and isAlerting', () => {
  const set = compileRuleSet({ version: 'v1', rules: [{ id: 'high_value', when: 'amount > 10000', weight: 60 }] });
  const at = new Date('2024-03-01T12:00:01Z');

  it('alerts on review and block, not on allow', () => {
    // Prepare
    const small = makeTx();
    const big = makeTx({ amount: money('20000') });

    // Act / Assess
    expect(isAlerting(decide(set, small, firstSeen(small), at))).toBe(false);
    expect(isAlerting(decide(set, big, firstSeen(big), at))).toBe(true);
  });

  it('builds an alert with ids, reasons and the masked card only', () => {
    // Prepare
    const tx = makeTx({ transactionId: 't-9', amount: money('20000'), card: testTokenizer()(VISA) });
    const d = decide(set, tx, firstSeen(tx), at);

    // Act
    const alert = alertFor(tx, d);

    // Assess
    expect(alert).toEqual({
      transaction_id: 't-9',
      outcome: 'review',
      score: 60,
      reasons: d.reasons,
      account_id: 'acc-1',
      card: '411111******1111',
      amount: 20000,
      currency: 'USD',
      timestamp: '2024-03-01T12:00:00.000Z',
      created_at: '2024-03-01T12:00:01.000Z',
    });
    expect(JSON.stringify(alert)).not.toContain(VISA);
  });
});

describe('transactionFromView', () => {
  it('gives back the transaction a view was rendered from, every field and the masked card', () => {
    // Prepare
    const tx = makeTx({
      transactionId: 't-2',
      amount: money('1234.56'),
      accountBalance: money('-2.5'),
      merchant: 'Shop',
      merchantCategory: '5411',
      terminalId: 'T-9',
      country: 'GB',
      originCountry: 'GB',
      destinationCountry: 'FR',
      channel: 'ecom',
      deviceId: 'd-1',
      ip: '192.0.2.1',
      label: 1,
      attributes: { note: 'x' },
    });
    tx.card = { token: 'tok-1', masked: '411111******1111', bin: '411111', last4: '1111' };

    // Act
    const back = transactionFromView(transactionView(tx));

    // Assess
    expect(back).toEqual(tx);
  });
});
