import { describe, expect, it } from 'vitest';
import { PackedEventsError } from '../../src/adapters/aws/DynamoErrors.js';
import { packEvents, unpackEvents } from '../../src/adapters/aws/packedEvents.js';
import type { Transaction } from '../../src/core/transaction.js';
import { makeTx } from '../helpers/transactions.js';

describe('packEvents', () => {
  it('gives back the fields features read, and drops the others', () => {
    // Prepare: every optional field present on one, none on another, non-ASCII text, a large amount
    const full = makeTx({
      transactionId: 'tx-ü-1',
      accountId: 'A1',
      card: { token: 'tok', masked: '411111******1111', bin: '411111', last4: '1111' },
      terminalId: 'T1',
      merchant: 'Café #1',
      country: 'FR',
      amount: 2 ** 40 + 1,
      timestamp: Date.UTC(2026, 0, 5, 1, 2, 3, 4),
      label: 1,
      merchantCategory: 'food',
      channel: 'pos',
      accountBalance: 5,
      attributes: { note: 'x' },
    });
    const bare = makeTx({ transactionId: 'tx-2', accountId: 'A1', label: 0, card: { token: 't2', masked: 'card:t2' } });
    // Act
    const back = unpackEvents(packEvents([full, bare]));
    // Assess
    const { merchantCategory: _c, channel: _ch, accountBalance: _b, ...kept } = full;
    expect(back).toEqual([{ ...kept, attributes: {} }, { ...bare, attributes: {} }]);
  });

  it('writes a repeated string once', () => {
    // Prepare
    const txs: Transaction[] = Array.from({ length: 100 }, (_, i) =>
      makeTx({ transactionId: `t${i}`, accountId: 'a-rather-long-account-identifier', merchant: 'a rather long merchant name' }),
    );
    // Act
    const bytes = packEvents(txs);
    // Assess: the two long strings once, then about 25 bytes per event
    expect(bytes.length).toBeLessThan(100 * 30 + 100);
    expect(unpackEvents(bytes)).toHaveLength(100);
  });

  it('refuses bytes it did not write', () => {
    const good = packEvents([makeTx()]);
    expect(() => unpackEvents(Uint8Array.of(9))).toThrow(PackedEventsError);
    expect(() => unpackEvents(good.subarray(0, good.length - 3))).toThrow(/end early/);
    expect(() => unpackEvents(Uint8Array.from([...good, 0]))).toThrow(/after the last event/);
  });
});
