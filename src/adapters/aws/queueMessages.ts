import type { Alert } from '../../core/views.js';
import type { QueuedTransaction } from '../../ports/TransactionQueue.js';

/**
 * The wire format between ingest and scoring: one message carries many transactions, as
 * `{"v":1,"items":[...]}`. Transactions are already validated and tokenised (no PAN), money in
 * E4 integers, times in epoch ms, so the scorer neither re-parses nor re-validates rows.
 */
export const HANDOFF_VERSION = 1;

/**
 * Characters JSON leaves raw that a queue may refuse: surrogates (the halves of characters past
 * U+FFFF, which fauxqs rejects and some tools mangle) and the non-characters U+FFFE / U+FFFF
 * (which SQS rejects). Written as `\uXXXX` escapes they parse back to the same string.
 */
const QUEUE_UNSAFE = /[\ud800-\udfff\ufffe\uffff]/g;
/** The same set without `g`, so `test` keeps no `lastIndex` between calls. */
const HAS_QUEUE_UNSAFE = /[\ud800-\udfff\ufffe\uffff]/;

function escapeUnsafe(c: string): string {
  return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/**
 * JSON for a queue message body: `JSON.stringify`, with every character outside the set SQS
 * and SNS accept as-is (see `QUEUE_UNSAFE`) escaped, so one exotic merchant name never makes a
 * whole batch fail.
 */
export function queueSafeJson(value: unknown): string {
  const json = JSON.stringify(value);
  return HAS_QUEUE_UNSAFE.test(json) ? json.replace(QUEUE_UNSAFE, escapeUnsafe) : json;
}

/** Serialises one item (the unit the packer measures). */
export function encodeItem(item: QueuedTransaction): string {
  return queueSafeJson(item);
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
  return packEncoded(
    items.map((item) => ({ encoded: encodeItem(item), name: `transaction ${item.transaction.transactionId}` })),
    maxBytes,
    `{"v":${HANDOFF_VERSION},"items":[`,
    ']}',
  );
}

/**
 * Packs already-encoded JSON values into as few bodies `open + v1,v2,… + close` as fit
 * `maxBytes` each (UTF-8), in order. Shared by every message format that batches (transactions,
 * alerts). Throws a RangeError naming the value that alone does not fit.
 */
export function packEncoded(
  values: Iterable<{ encoded: string; name: string }>,
  maxBytes: number,
  open: string,
  close: string,
): string[] {
  const envelope = Buffer.byteLength(open, 'utf8') + Buffer.byteLength(close, 'utf8');
  const bodies: string[] = [];
  let current: string[] = [];
  let size = envelope;
  for (const { encoded, name } of values) {
    const bytes = Buffer.byteLength(encoded, 'utf8');
    if (envelope + bytes > maxBytes) {
      throw new RangeError(`${name} alone exceeds the ${maxBytes}-byte message limit (${envelope + bytes} bytes)`);
    }
    // A comma joins it to the previous value.
    const added = bytes + (current.length > 0 ? 1 : 0);
    if (size + added > maxBytes) {
      bodies.push(`${open}${current.join(',')}${close}`);
      current = [encoded];
      size = envelope + bytes;
    } else {
      current.push(encoded);
      size += added;
    }
  }
  if (current.length > 0) bodies.push(`${open}${current.join(',')}${close}`);
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

/** Version of the alert message format `{"v":1,"alerts":[...]}` (suspicious queue → notify). */
export const ALERT_MESSAGE_VERSION = 1;

/**
 * Packs alerts into as few `{"v":1,"alerts":[...]}` bodies as fit `maxBytes` each, in order.
 * Throws when one alert alone does not fit.
 */
export function packAlertMessages(alerts: readonly Alert[], maxBytes: number): string[] {
  return packEncoded(
    alerts.map((a) => ({ encoded: queueSafeJson(a), name: `alert ${a.id} (transaction ${a.transaction_id})` })),
    maxBytes,
    `{"v":${ALERT_MESSAGE_VERSION},"alerts":[`,
    ']}',
  );
}

const OUTCOMES: ReadonlySet<unknown> = new Set(['allow', 'review', 'block']);

/** Reads an alert message back; throws a plain Error naming what is wrong (a poison message). */
export function decodeAlertMessage(body: string): Alert[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (e) {
    throw new Error(`alert message is not JSON: ${(e as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null) throw new Error('alert message is not an object');
  const { v, alerts } = parsed as { v?: unknown; alerts?: unknown };
  if (v !== ALERT_MESSAGE_VERSION) throw new Error(`alert message version ${String(v)} is not ${ALERT_MESSAGE_VERSION}`);
  if (!Array.isArray(alerts)) throw new Error('alert message has no alerts array');
  for (const [i, raw] of (alerts as unknown[]).entries()) {
    const a = raw as Record<string, unknown> | null;
    if (
      typeof a !== 'object' ||
      a === null ||
      typeof a.id !== 'number' ||
      typeof a.transaction_id !== 'string' ||
      !OUTCOMES.has(a.outcome) ||
      typeof a.score !== 'number' ||
      !Array.isArray(a.reasons) ||
      typeof a.account_id !== 'string' ||
      typeof a.amount !== 'number' ||
      typeof a.currency !== 'string' ||
      typeof a.timestamp !== 'string'
    ) {
      throw new Error(`alert message item ${i} is not an alert`);
    }
  }
  return alerts as Alert[];
}
