import type { Transaction } from '../../core/transaction.js';
import { PackedEventsError } from './DynamoErrors.js';

/** Format byte at the start of every packed buffer, so a later layout can be told apart. */
const FORMAT = 1;

const HAS_CARD = 1;
const HAS_BIN = 2;
const HAS_LAST4 = 4;
const HAS_TERMINAL = 8;
const HAS_MERCHANT = 16;
const HAS_COUNTRY = 32;
const HAS_LABEL = 64;
const LABEL_FRAUD = 128;

/**
 * Packs feature events into one compact binary value (a DynamoDB `B` attribute): the fields
 * feature windows and label feedback read — id, time, account, card, terminal, merchant, amount,
 * currency, country, label — and nothing else (no category, balance, channel, device, IP or
 * free-form attributes). Strings are written once in a table and referred to by index, so an
 * entity's own key, repeated in each of its events, costs a few bytes per event.
 *
 * Layout: format byte; string count and strings (varint length + UTF-8); event count; per event
 * the time and amount as float64, a flags byte (which optional fields follow, the label), then
 * varint string indexes.
 *
 * @example
 * const bytes = packEvents(txs);
 * unpackEvents(bytes); // the same transactions, with those fields only
 */
export function packEvents(txs: readonly Transaction[]): Uint8Array {
  const strings = new Map<string, number>();
  const ref = (s: string): number => {
    let i = strings.get(s);
    if (i === undefined) {
      i = strings.size;
      strings.set(s, i);
    }
    return i;
  };
  const body = new Writer();
  body.varint(txs.length);
  for (const tx of txs) {
    body.float(tx.timestamp);
    body.float(tx.amount);
    let flags = 0;
    if (tx.card) flags |= HAS_CARD | (tx.card.bin !== undefined ? HAS_BIN : 0) | (tx.card.last4 !== undefined ? HAS_LAST4 : 0);
    if (tx.terminalId !== undefined) flags |= HAS_TERMINAL;
    if (tx.merchant !== undefined) flags |= HAS_MERCHANT;
    if (tx.country !== undefined) flags |= HAS_COUNTRY;
    if (tx.label !== undefined) flags |= HAS_LABEL | (tx.label === 1 ? LABEL_FRAUD : 0);
    body.byte(flags);
    body.varint(ref(tx.transactionId));
    body.varint(ref(tx.accountId));
    body.varint(ref(tx.currency));
    if (tx.card) {
      body.varint(ref(tx.card.token));
      body.varint(ref(tx.card.masked));
      if (tx.card.bin !== undefined) body.varint(ref(tx.card.bin));
      if (tx.card.last4 !== undefined) body.varint(ref(tx.card.last4));
    }
    if (tx.terminalId !== undefined) body.varint(ref(tx.terminalId));
    if (tx.merchant !== undefined) body.varint(ref(tx.merchant));
    if (tx.country !== undefined) body.varint(ref(tx.country));
  }
  const head = new Writer();
  head.byte(FORMAT);
  head.varint(strings.size);
  for (const s of strings.keys()) head.text(s);
  return Buffer.concat([head.bytes(), body.bytes()]);
}

/** The events of a buffer written by {@link packEvents}, in the order packed, with empty `attributes`. */
export function unpackEvents(bytes: Uint8Array): Transaction[] {
  const r = new Reader(bytes);
  const format = r.byte();
  if (format !== FORMAT) throw new PackedEventsError(`unknown packed events format ${format}`);
  const strings: string[] = [];
  for (let n = r.varint(); n > 0; n--) strings.push(r.text());
  const str = (): string => {
    const i = r.varint();
    const s = strings[i];
    if (s === undefined) throw new PackedEventsError(`string ${i} is not in the table of ${strings.length}`);
    return s;
  };
  const out: Transaction[] = [];
  for (let n = r.varint(); n > 0; n--) {
    const timestamp = r.float();
    const amount = r.float();
    const flags = r.byte();
    const tx: Transaction = { transactionId: str(), timestamp, accountId: str(), amount, currency: str(), attributes: {} };
    if (flags & HAS_CARD) {
      const token = str();
      const masked = str();
      tx.card = { token, masked };
      if (flags & HAS_BIN) tx.card.bin = str();
      if (flags & HAS_LAST4) tx.card.last4 = str();
    }
    if (flags & HAS_TERMINAL) tx.terminalId = str();
    if (flags & HAS_MERCHANT) tx.merchant = str();
    if (flags & HAS_COUNTRY) tx.country = str();
    if (flags & HAS_LABEL) tx.label = flags & LABEL_FRAUD ? 1 : 0;
    out.push(tx);
  }
  if (!r.done()) throw new PackedEventsError('packed events have bytes after the last event');
  return out;
}

/** Appends bytes to a growing buffer. */
class Writer {
  private buf = Buffer.allocUnsafe(256);
  private at = 0;

  byte(v: number): void {
    this.room(1);
    this.buf[this.at++] = v;
  }

  /** Unsigned LEB128. */
  varint(v: number): void {
    let n = v;
    while (n >= 0x80) {
      this.byte((n & 0x7f) | 0x80);
      n = Math.floor(n / 128);
    }
    this.byte(n);
  }

  float(v: number): void {
    this.room(8);
    this.buf.writeDoubleLE(v, this.at);
    this.at += 8;
  }

  text(s: string): void {
    const b = Buffer.from(s, 'utf8');
    this.varint(b.length);
    this.room(b.length);
    b.copy(this.buf, this.at);
    this.at += b.length;
  }

  bytes(): Buffer {
    return this.buf.subarray(0, this.at);
  }

  private room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.at + n));
    this.buf.copy(next, 0, 0, this.at);
    this.buf = next;
  }
}

/** Reads what {@link Writer} wrote, refusing to run past the end. */
class Reader {
  private readonly buf: Buffer;
  private at = 0;

  constructor(bytes: Uint8Array) {
    this.buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  byte(): number {
    this.need(1);
    return this.buf[this.at++] as number;
  }

  varint(): number {
    let v = 0;
    let scale = 1;
    for (;;) {
      const b = this.byte();
      v += (b & 0x7f) * scale;
      if (b < 0x80) return v;
      scale *= 128;
      if (scale > 2 ** 49) throw new PackedEventsError('a varint in packed events is too long');
    }
  }

  float(): number {
    this.need(8);
    const v = this.buf.readDoubleLE(this.at);
    this.at += 8;
    return v;
  }

  text(): string {
    const n = this.varint();
    this.need(n);
    const s = this.buf.toString('utf8', this.at, this.at + n);
    this.at += n;
    return s;
  }

  done(): boolean {
    return this.at === this.buf.length;
  }

  private need(n: number): void {
    if (this.at + n > this.buf.length) throw new PackedEventsError(`packed events end early (byte ${this.at} of ${this.buf.length})`);
  }
}
