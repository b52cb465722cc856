import type { CardRef } from '../core/pan.js';
import type { Rejection } from '../core/receipt.js';
import type { Label, Transaction } from '../core/transaction.js';
import type { BatchBuilder, IngestBatch, IngestedRow } from '../pipeline/ingest.js';

/**
 * The string fields of a transaction in a {@link PackedBatch}, in this order; the card's four
 * after them. One bit each in a row's presence mask.
 */
const TEXT_FIELDS = [
  'transactionId',
  'accountId',
  'currency',
  'merchant',
  'merchantCategory',
  'terminalId',
  'country',
  'originCountry',
  'destinationCountry',
  'channel',
  'deviceId',
  'ip',
] as const;
const CARD_TOKEN = TEXT_FIELDS.length;
/** The fields of {@link PackedBatch.keys}: the entity keys. */
const KEY_FIELDS = (1 << 1) | (1 << 3) | (1 << 5) | (1 << CARD_TOKEN);
const CARD_BIN = CARD_TOKEN + 1;
const CARD_LAST4 = CARD_TOKEN + 2;
const CARD_MASKED = CARD_TOKEN + 3;

/** Numbers per row in {@link PackedBatch.numbers}; NaN stands for an absent balance or label. */
const NUMBERS = 6;
const TIMESTAMP = 0;
const AMOUNT = 1;
const BALANCE = 2;
const LABEL = 3;
const ROW = 4;
const LINE = 5;

/**
 * An {@link IngestBatch} in the form a worker thread hands over cheaply: a structured clone costs
 * per object and per string, so the rows are columns — numbers in one typed array (transferred,
 * not copied), the strings that are present in one string (entity keys apart), a presence mask per
 * row — and only the rare parts (extra columns, rejections) stay objects.
 */
export interface PackedBatch {
  size: number;
  numbers: Float64Array;
  /** Per row, bit `i`: the `i`th string field (TEXT_FIELDS, then the card's) is present. */
  present: Uint16Array;
  /**
   * The present strings that are not entity keys, row by row in field order, concatenated: one
   * string to copy instead of thousands. What is cut from it keeps it alive, which is fine for
   * values that die with the batch.
   */
  text: string;
  /** The length of each string in `text`. */
  lengths: Int32Array;
  /**
   * The present entity keys (account, card token, terminal, merchant), row by row in field order,
   * each its own string: the feature and label state keep them for as long as the entity is
   * active, and a key cut from `text` would keep the whole batch's text alive with it. In slices
   * of at most {@link SLICE_ROWS} rows' keys (see {@link packBatch}).
   */
  keys: string[][];
  /**
   * The extra (unmapped) columns, as columns too: a file with extra columns has them on nearly
   * every row, and an object per row costs the structured clone per object and per key. The rows
   * that have any, ascending; per such row the number of its columns then each one's index into
   * `attributeNames`, in the row's key order; their values concatenated in that order, and their
   * lengths.
   */
  attributeRows: Int32Array;
  attributeKeys: Uint16Array;
  attributeNames: string[];
  attributeText: string;
  attributeLengths: Int32Array;
  rejections: Rejection[];
  rowsDone: number;
  bytesRead: number;
}

/** The buffers of `b` that can be transferred instead of copied. */
export function packedTransferables(b: PackedBatch): ArrayBuffer[] {
  return [
    b.numbers.buffer as ArrayBuffer,
    b.present.buffer as ArrayBuffer,
    b.lengths.buffer as ArrayBuffer,
    b.attributeRows.buffer as ArrayBuffer,
    b.attributeKeys.buffer as ArrayBuffer,
    b.attributeLengths.buffer as ArrayBuffer,
  ];
}

/**
 * Rows packed into one slice of strings and keys. A batch's strings are gathered a slice at a
 * time: an array of tens of thousands of strings lives in the large-object space, where each
 * store of a new string takes the write barrier's slow path, and joining it costs more per
 * string than joining short ones.
 */
const SLICE_ROWS = 512;

/** `batch` as columns: {@link unpackBatch} gives it back equal. */
export function packBatch(batch: IngestBatch): PackedBatch {
  const packer = new PackedBatchBuilder(batch.rows.length);
  for (const { transaction, row } of batch.rows) packer.add(transaction, row.row, row.line);
  for (const r of batch.rejections) packer.reject(r);
  return packer.finish(batch.rowsDone, batch.bytesRead);
}

/**
 * Packs rows into a {@link PackedBatch} as they are validated (a {@link BatchBuilder}): each row's
 * values go into the batch's columns at once, and its transaction object dies young instead of
 * waiting, with thousands of others, for the batch to fill (which made the young generation's
 * collections copy and promote them).
 */
export class PackedBatchBuilder implements BatchBuilder<PackedBatch> {
  private size = 0;
  private numbers: Float64Array;
  private present: Uint16Array;
  private texts: string[] = [];
  private lengthSlices: Int32Array[] = [];
  private keySlices: string[][] = [];
  private strings: string[] = [];
  private keys: string[] = [];
  private attributes = new AttributePacker();
  private rejections: Rejection[] = [];

  /** `capacity`: the rows a batch usually holds (it grows past that when needed). */
  constructor(private readonly capacity = 512) {
    this.numbers = new Float64Array(Math.max(1, capacity) * NUMBERS);
    this.present = new Uint16Array(Math.max(1, capacity));
  }

  get count(): number {
    return this.size + this.rejections.length;
  }

  add(tx: Transaction, rowNo: number, line: number): void {
    const i = this.size++;
    if (i === this.present.length) this.grow();
    if (i > 0 && i % SLICE_ROWS === 0) this.endSlice();
    const keys = this.keys;
    const strings = this.strings;
    // Field by field, in TEXT_FIELDS order: a read by a computed name would be a megamorphic
    // lookup per field, a named read is one load.
    let mask = 1 | 2 | 4;
    strings.push(tx.transactionId);
    keys.push(tx.accountId);
    strings.push(tx.currency);
    if (tx.merchant !== undefined) {
      mask |= 1 << 3;
      keys.push(tx.merchant);
    }
    mask |= this.text(tx.merchantCategory, 4);
    if (tx.terminalId !== undefined) {
      mask |= 1 << 5;
      keys.push(tx.terminalId);
    }
    mask |= this.text(tx.country, 6);
    mask |= this.text(tx.originCountry, 7);
    mask |= this.text(tx.destinationCountry, 8);
    mask |= this.text(tx.channel, 9);
    mask |= this.text(tx.deviceId, 10);
    mask |= this.text(tx.ip, 11);
    const card = tx.card;
    if (card) {
      mask |= 1 << CARD_TOKEN;
      keys.push(card.token);
      if (card.bin !== undefined) {
        mask |= 1 << CARD_BIN;
        strings.push(card.bin);
      }
      if (card.last4 !== undefined) {
        mask |= 1 << CARD_LAST4;
        strings.push(card.last4);
      }
      mask |= 1 << CARD_MASKED;
      strings.push(card.masked);
    }
    this.present[i] = mask;
    const numbers = this.numbers;
    const o = i * NUMBERS;
    numbers[o + TIMESTAMP] = tx.timestamp;
    numbers[o + AMOUNT] = tx.amount;
    numbers[o + BALANCE] = tx.accountBalance ?? Number.NaN;
    numbers[o + LABEL] = tx.label ?? Number.NaN;
    numbers[o + ROW] = rowNo;
    numbers[o + LINE] = line;
    this.attributes.add(i, tx.attributes);
  }

  /** Gathers an optional string that is not an entity key: its presence bit (field `f`), or 0. */
  private text(v: string | undefined, f: number): number {
    if (v === undefined) return 0;
    this.strings.push(v);
    return 1 << f;
  }

  reject(rejection: Rejection): void {
    this.rejections.push(rejection);
  }

  finish(rowsDone: number, bytesRead: number): PackedBatch {
    this.endSlice();
    const n = this.size;
    let total = 0;
    for (const l of this.lengthSlices) total += l.length;
    const lengths = new Int32Array(total);
    total = 0;
    for (const l of this.lengthSlices) {
      lengths.set(l, total);
      total += l.length;
    }
    const batch: PackedBatch = {
      size: n,
      // Views of the batch's first rows: the buffers behind them are transferred whole.
      numbers: this.numbers.subarray(0, n * NUMBERS),
      present: this.present.subarray(0, n),
      text: this.texts.join(''),
      lengths,
      keys: this.keySlices,
      ...this.attributes.columns(),
      rejections: this.rejections,
      rowsDone,
      bytesRead,
    };
    this.size = 0;
    this.numbers = new Float64Array(Math.max(1, this.capacity) * NUMBERS);
    this.present = new Uint16Array(Math.max(1, this.capacity));
    this.texts = [];
    this.lengthSlices = [];
    this.keySlices = [];
    this.attributes = new AttributePacker();
    this.rejections = [];
    return batch;
  }

  /** Gathers the strings and keys of the rows since the last slice (see {@link SLICE_ROWS}). */
  private endSlice(): void {
    const strings = this.strings;
    this.texts.push(strings.join(''));
    const lengths = new Int32Array(strings.length);
    for (let k = 0; k < strings.length; k++) lengths[k] = (strings[k] as string).length;
    this.lengthSlices.push(lengths);
    this.keySlices.push(this.keys);
    this.strings = [];
    this.keys = [];
  }

  private grow(): void {
    const numbers = new Float64Array(this.numbers.length * 2);
    numbers.set(this.numbers);
    this.numbers = numbers;
    const present = new Uint16Array(this.present.length * 2);
    present.set(this.present);
    this.present = present;
  }
}

/** Gathers the extra columns of a batch's rows as the attribute columns of a {@link PackedBatch}. */
class AttributePacker {
  private readonly rows: number[] = [];
  private readonly keys: number[] = [];
  private readonly names: string[] = [];
  private readonly values: string[] = [];
  /** The index in `names` of each name met (a Map: a column may be named `__proto__`). */
  private readonly nameIndex = new Map<string, number>();
  /**
   * The names of the last row's columns in its key order, and their indexes: rows of a file
   * mostly have the same extra columns in the same order, and comparing a name with the one in
   * its place before costs less than looking it up.
   */
  private readonly lastNames: string[] = [];
  private readonly lastIndexes: number[] = [];

  add(row: number, attributes: Record<string, string>): void {
    let countAt = -1;
    let k = 0;
    for (const name in attributes) {
      if (countAt === -1) {
        this.rows.push(row);
        countAt = this.keys.length;
        this.keys.push(0);
      }
      let index: number;
      if (this.lastNames[k] === name) index = this.lastIndexes[k] as number;
      else {
        index = this.indexOf(name);
        this.lastNames[k] = name;
        this.lastIndexes[k] = index;
      }
      k++;
      this.keys.push(index);
      (this.keys[countAt] as number)++;
      this.values.push(attributes[name] as string);
    }
  }

  private indexOf(name: string): number {
    let index = this.nameIndex.get(name);
    if (index === undefined) {
      index = this.names.length;
      this.names.push(name);
      this.nameIndex.set(name, index);
    }
    return index;
  }

  columns(): Pick<PackedBatch, 'attributeRows' | 'attributeKeys' | 'attributeNames' | 'attributeText' | 'attributeLengths'> {
    const lengths = new Int32Array(this.values.length);
    for (let k = 0; k < this.values.length; k++) lengths[k] = (this.values[k] as string).length;
    return {
      attributeRows: Int32Array.from(this.rows),
      attributeKeys: Uint16Array.from(this.keys),
      attributeNames: this.names,
      attributeText: this.values.join(''),
      attributeLengths: lengths,
    };
  }
}

/** The rows without extra columns share this (frozen: nothing may add to it). */
const NO_ATTRIBUTES: Record<string, string> = Object.freeze({}) as Record<string, string>;

/** Reads the present strings of a {@link PackedBatch} in order, from its text or its keys. */
class StringCursor {
  private at = 0;
  private offset = 0;
  private slice = 0;
  private key = 0;
  constructor(private readonly b: PackedBatch) {}

  /** The next string when bit `f` of `mask` is set; otherwise undefined, and the cursor stays. */
  next(mask: number, f: number): string | undefined {
    const bit = 1 << f;
    if ((mask & bit) === 0) return undefined;
    if (KEY_FIELDS & bit) {
      let keys = this.b.keys[this.slice] as string[];
      while (this.key === keys.length) {
        keys = this.b.keys[++this.slice] as string[];
        this.key = 0;
      }
      return keys[this.key++];
    }
    const from = this.offset;
    this.offset += this.b.lengths[this.at++] as number;
    return this.b.text.slice(from, this.offset);
  }
}

/** The batch {@link packBatch} was given. */
export function unpackBatch(b: PackedBatch): IngestBatch {
  const rows: IngestedRow[] = new Array<IngestedRow>(b.size);
  const x = b.numbers;
  const strings = new StringCursor(b);
  let extra = 0;
  let key = 0;
  let valueAt = 0;
  let valueOffset = 0;
  for (let i = 0; i < b.size; i++) {
    const mask = b.present[i] as number;
    const transactionId = strings.next(mask, 0) as string;
    const accountId = strings.next(mask, 1) as string;
    const currency = strings.next(mask, 2) as string;
    const merchant = strings.next(mask, 3);
    const merchantCategory = strings.next(mask, 4);
    const terminalId = strings.next(mask, 5);
    const country = strings.next(mask, 6);
    const originCountry = strings.next(mask, 7);
    const destinationCountry = strings.next(mask, 8);
    const channel = strings.next(mask, 9);
    const deviceId = strings.next(mask, 10);
    const ip = strings.next(mask, 11);
    let card: CardRef | undefined;
    if (mask & (1 << CARD_TOKEN)) {
      const token = strings.next(mask, CARD_TOKEN) as string;
      if (mask & (1 << CARD_BIN)) {
        const bin = strings.next(mask, CARD_BIN);
        const last4 = strings.next(mask, CARD_LAST4);
        card = { token, bin, last4, masked: strings.next(mask, CARD_MASKED) as string };
      } else card = { token, masked: strings.next(mask, CARD_MASKED) as string };
    }
    let attributes = NO_ATTRIBUTES;
    if (b.attributeRows[extra] === i) {
      extra++;
      attributes = {};
      const count = b.attributeKeys[key++] as number;
      for (let k = 0; k < count; k++) {
        const name = b.attributeNames[b.attributeKeys[key++] as number] as string;
        const from = valueOffset;
        valueOffset += b.attributeLengths[valueAt++] as number;
        attributes[name] = b.attributeText.slice(from, valueOffset);
      }
    }
    const o = i * NUMBERS;
    const balance = x[o + BALANCE] as number;
    const label = x[o + LABEL] as number;
    // The fields in the order validation sets them (see `buildTransaction`): one hidden class
    // for every transaction, whichever thread parsed it.
    const transaction: Transaction = {
      transactionId,
      timestamp: x[o + TIMESTAMP] as number,
      accountId,
      card,
      amount: x[o + AMOUNT] as number,
      currency,
      merchant,
      merchantCategory,
      terminalId,
      country,
      originCountry,
      destinationCountry,
      accountBalance: Number.isNaN(balance) ? undefined : balance,
      channel,
      deviceId,
      ip,
      label: Number.isNaN(label) ? undefined : (label as Label),
      attributes,
    };
    rows[i] = { transaction, row: { row: x[o + ROW] as number, line: x[o + LINE] as number } };
  }
  return { rows, rejections: b.rejections, rowsDone: b.rowsDone, bytesRead: b.bytesRead };
}
