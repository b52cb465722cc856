import type { QueuedTransaction, TransactionQueue } from '../../src/ports/TransactionQueue.js';

/**
 * A {@link TransactionQueue} that keeps what it was sent: `messages` holds each send's items as one
 * message (at most `perMessage` items per message, as a queue's size limit would split them).
 *
 * @example
 * const queue = new InMemoryTransactionQueue();
 * await queue.send(items); // queue.items() gives them back in order
 */
export class InMemoryTransactionQueue implements TransactionQueue {
  readonly messages: QueuedTransaction[][] = [];

  constructor(private readonly perMessage = 100) {}

  async send(items: readonly QueuedTransaction[]): Promise<{ messages: number }> {
    let sent = 0;
    for (let i = 0; i < items.length; i += this.perMessage) {
      this.messages.push(structuredClone(items.slice(i, i + this.perMessage)));
      sent++;
    }
    return { messages: sent };
  }

  /** Every item sent so far, in order. */
  items(): QueuedTransaction[] {
    return this.messages.flat();
  }
}
