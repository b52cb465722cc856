import { describe, expect, it } from 'vitest';
import type { QueuedTransaction, TransactionQueue } from '../../src/ports/TransactionQueue.js';
import { makeTx, T0 } from '../helpers/transactions.js';

/** A queue with a way to take back what reached its other end. */
export interface QueueUnderTest {
  queue: TransactionQueue;
  /** Everything delivered so far (and not taken before), in any order. */
  received(): Promise<QueuedTransaction[]>;
}

function items(n: number): QueuedTransaction[] {
  return Array.from({ length: n }, (_, i) => ({
    transaction: makeTx({
      transactionId: `q-${String(i).padStart(4, '0')}`,
      timestamp: T0 + i * 1000,
      accountId: `acc-${i % 7}`,
      merchant: i % 10 === 0 ? `Café ☕ ${i}` : `m-${i % 3}`,
      card: { token: `tok-${i}`, masked: '411111******1111', bin: '411111', last4: '1111' },
      attributes: i % 4 === 0 ? { note: `n${i}` } : {},
    }),
    source: { file: 'inbox/a.csv', row: i + 1, line: i + 2 },
  }));
}

const byId = (xs: QueuedTransaction[]): QueuedTransaction[] =>
  [...xs].sort((a, b) => (a.transaction.transactionId < b.transaction.transactionId ? -1 : 1));

/**
 * The behaviour every {@link TransactionQueue} promises: each item sent arrives once, as sent,
 * many to a message. Narrowed: order is not promised (an SQS standard queue does not keep it).
 * `make` returns a new, empty queue on each call.
 *
 * @example
 * describeTransactionQueueContract('InMemoryTransactionQueue', async () => { const q = new InMemoryTransactionQueue(); return { queue: q, received: async () => q.items() }; });
 */
export function describeTransactionQueueContract(name: string, make: () => Promise<QueueUnderTest>): void {
  describe(`TransactionQueue contract: ${name}`, () => {
    it('delivers every item once, as it was sent, in fewer messages than items', async () => {
      // Prepare
      const { queue, received } = await make();
      const sent = items(250);
      // Act
      const { messages } = await queue.send(sent);
      // Assess
      expect(messages).toBeGreaterThan(0);
      expect(messages).toBeLessThan(sent.length);
      expect(byId(await received())).toEqual(sent);
    });

    it('sends nothing for no items', async () => {
      // Prepare
      const { queue, received } = await make();
      // Act
      const { messages } = await queue.send([]);
      // Assess
      expect(messages).toBe(0);
      expect(await received()).toEqual([]);
    });
  });
}
