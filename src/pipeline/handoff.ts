import type { QueuedTransaction } from '../ports/TransactionQueue.js';

/**
 * The wire format between ingest and scoring: one message carries many transactions, as
 * `{"v":1,"items":[...]}`. Transactions are already validated and tokenised (no PAN), money in
 * E4 integers, times in epoch ms, so the scorer neither re-parses nor re-validates rows.
 */
export const HANDOFF_VERSION = 1;

/** Serialises one item (the unit the packer measures). */
export function encodeItem(item: QueuedTransaction): string {
  return JSON.stringify(item);
}

/** Joins encoded items into one message body. */
export function messageBody(encodedItems: readonly string[]): string {
  return `{"v":${HANDOFF_VERSION},"items":[${encodedItems.join(',')}]}`;
}

/** Bytes a message body of these encoded items takes (UTF-8). */
export const ENVELOPE_BYTES = messageBody([]).length;

/**
 * Packs items into as few message bodies as fit `maxBytes` each (UTF-8 size), in order.
 * Throws when one item alone does not fit.
 */
export function packMessages(items: readonly QueuedTransaction[], maxBytes: number): string[] {
  const bodies: string[] = [];
  let current: string[] = [];
  let size = ENVELOPE_BYTES;
  for (const item of items) {
    const encoded = encodeItem(item);
    const bytes = Buffer.byteLength(encoded, 'utf8') + (current.length > 0 ? 1 : 0);
    if (ENVELOPE_BYTES + Buffer.byteLength(encoded, 'utf8') > maxBytes) {
      throw new RangeError(`transaction ${item.transaction.transactionId} alone exceeds the ${maxBytes}-byte message limit`);
    }
    if (size + bytes > maxBytes) {
      bodies.push(messageBody(current));
      current = [];
      size = ENVELOPE_BYTES;
    }
    size += Buffer.byteLength(encoded, 'utf8') + (current.length > 0 ? 1 : 0);
    current.push(encoded);
  }
  if (current.length > 0) bodies.push(messageBody(current));
  return bodies;
}

/** Reads a message body back; throws a plain Error naming what is wrong (a poison message). */
export function decodeMessage(body: string): QueuedTransaction[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (e) {
    throw new Error(`hand-off message is not JSON: ${(e as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null) throw new Error('hand-off message is not an object');
  const { v, items } = parsed as { v?: unknown; items?: unknown };
  if (v !== HANDOFF_VERSION) throw new Error(`hand-off message version ${String(v)} is not ${HANDOFF_VERSION}`);
  if (!Array.isArray(items)) throw new Error('hand-off message has no items array');
  for (const [i, item] of (items as unknown[]).entries()) {
    const tx = (item as { transaction?: Record<string, unknown> } | null)?.transaction;
    if (
      typeof tx !== 'object' ||
      tx === null ||
      typeof tx.transactionId !== 'string' ||
      typeof tx.timestamp !== 'number' ||
      typeof tx.accountId !== 'string' ||
      typeof tx.amount !== 'number' ||
      typeof tx.currency !== 'string'
    ) {
      throw new Error(`hand-off message item ${i} is not a transaction`);
    }
  }
  return items as QueuedTransaction[];
}
