import { detached } from './strings.js';

/** Arena block size: blocks are filled completely, so a position maps to (block, offset) by division. */
const BLOCK = 1 << 20;
/** Every GROUP-th id is stored whole; the others only as the suffix they do not share with the previous id. */
const GROUP = 16;
const GROUP_SHIFT = 4;
/** Grow the table past this load: linear probing stays short below it. */
const MAX_LOAD = 0.75;
/** Keeps at least one fingerprint bit above the entry number in a 32-bit slot. */
const MAX_CAPACITY = 2 ** 30;

/**
 * Any strings, exactly: front-coded in a byte arena with a hash table of entry numbers (see
 * {@link IdSet}, which keeps here the ids that are not numbered runs).
 */
class ArenaIdSet {
  private blocks: Uint8Array[] = [new Uint8Array(BLOCK)];
  /** Write cursor: block index and offset in it. */
  private wBlock = 0;
  private wOffset = 0;
  /** Arena position of every GROUP-th entry (where decoding can start). */
  private groupStart = new Float64Array(1024);
  /**
   * Per slot, 0 (empty) or the entry number + 1 in the low `entryBits` bits and, above them, a
   * fingerprint of the id's hash: one random read per probe, and an id is decoded from the arena
   * only when the fingerprint matches (1 in 256 at 8.6M ids).
   */
  private slots: Uint32Array;
  private capacity: number;
  private entryBits: number;
  private previous = '';
  /** Decoding scratch: the characters of the entry being decoded. */
  private scratch = new Uint16Array(64);
  private count = 0;

  constructor(initialCapacity = 1 << 12) {
    this.capacity = Math.max(16, initialCapacity);
    this.slots = new Uint32Array(this.capacity);
    this.entryBits = entryBitsFor(this.capacity);
  }

  /** Number of ids in the set. */
  get size(): number {
    return this.count;
  }

  /**
   * Sizes the table for `expected` ids at once, so a caller that can estimate the count (from a
   * file's size) saves the rehashes: each one decodes the whole arena and scatters it anew.
   */
  reserve(expected: number): void {
    const needed = Math.ceil(expected / MAX_LOAD) + 1;
    if (needed > this.capacity) this.rehash(needed);
  }

  /** Whether `id` was added before. */
  has(id: string): boolean {
    return this.find(id, hashOf(id)) < 0;
  }

  /** Adds `id`; returns false (and changes nothing) when it was already there. */
  add(id: string): boolean {
    const h = hashOf(id);
    const slot = this.find(id, h);
    if (slot < 0) return false;
    const entry = this.count++;
    this.slots[slot] = pack(entry, h, this.entryBits);
    this.append(id, entry);
    if (this.count > this.capacity * MAX_LOAD) this.rehash(this.capacity * 2);
    return true;
  }

  /** The free slot where `id` belongs, or -1 when it is already there. */
  private find(id: string, h: number): number {
    const slots = this.slots;
    const cap = this.capacity;
    const bits = this.entryBits;
    const print = printOf(h) >>> bits;
    let i = h % cap;
    for (;;) {
      const v = slots[i] as number;
      if (v === 0) return i;
      if (v >>> bits === print && this.entryEquals((v & ((1 << bits) - 1)) - 1, id)) return -1;
      i = i + 1 === cap ? 0 : i + 1;
    }
  }

  private append(id: string, entry: number): void {
    let shared = 0;
    if ((entry & (GROUP - 1)) === 0) {
      const g = entry >>> GROUP_SHIFT;
      if (g === this.groupStart.length) {
        const bigger = new Float64Array(g * 2);
        bigger.set(this.groupStart);
        this.groupStart = bigger;
      }
      this.groupStart[g] = this.wBlock * BLOCK + this.wOffset;
    } else {
      const prev = this.previous;
      const max = Math.min(prev.length, id.length);
      while (shared < max && prev.charCodeAt(shared) === id.charCodeAt(shared)) shared++;
    }
    this.writeVarint(shared);
    this.writeVarint(id.length - shared);
    for (let i = shared; i < id.length; i++) this.writeVarint(id.charCodeAt(i));
    this.previous = id;
  }

  private writeVarint(value: number): void {
    let v = value;
    while (v >= 0x80) {
      this.writeByte((v & 0x7f) | 0x80);
      v >>>= 7;
    }
    this.writeByte(v);
  }

  private writeByte(b: number): void {
    if (this.wOffset === BLOCK) {
      this.blocks.push(new Uint8Array(BLOCK));
      this.wBlock++;
      this.wOffset = 0;
    }
    (this.blocks[this.wBlock] as Uint8Array)[this.wOffset++] = b;
  }

  /** Decodes entry `entry` from the start of its group into `scratch`; returns its length. */
  private decode(entry: number): number {
    const reader = new ArenaReader(this.blocks, this.groupStart[entry >>> GROUP_SHIFT] as number);
    let length = 0;
    for (let e = entry & ~(GROUP - 1); e <= entry; e++) length = this.decodeNext(reader);
    return length;
  }

  /** Decodes the entry at the reader onto the previous one held in `scratch`. */
  private decodeNext(reader: ArenaReader): number {
    const shared = reader.varint();
    const rest = reader.varint();
    const length = shared + rest;
    if (length > this.scratch.length) {
      const bigger = new Uint16Array(Math.max(length, this.scratch.length * 2));
      bigger.set(this.scratch);
      this.scratch = bigger;
    }
    for (let i = shared; i < length; i++) this.scratch[i] = reader.varint();
    return length;
  }

  private entryEquals(entry: number, id: string): boolean {
    const length = this.decode(entry);
    if (length !== id.length) return false;
    const s = this.scratch;
    for (let i = 0; i < length; i++) if (s[i] !== id.charCodeAt(i)) return false;
    return true;
  }

  /** Rehashes into a table of `cap` slots; hashes are recomputed from the arena in one pass. */
  private rehash(cap: number): void {
    if (cap > MAX_CAPACITY) throw new RangeError(`IdSet holds at most ${MAX_CAPACITY * MAX_LOAD} ids`);
    const slots = new Uint32Array(cap);
    const bits = entryBitsFor(cap);
    const reader = new ArenaReader(this.blocks, 0);
    for (let e = 0; e < this.count; e++) {
      const length = this.decodeNext(reader);
      const h = hashChars(this.scratch, length);
      let i = h % cap;
      while (slots[i] !== 0) i = i + 1 === cap ? 0 : i + 1;
      slots[i] = pack(e, h, bits);
    }
    this.slots = slots;
    this.capacity = cap;
    this.entryBits = bits;
  }
}

/** Sequential reader over the arena's blocks. */
class ArenaReader {
  private block: number;
  private offset: number;

  constructor(
    private readonly blocks: Uint8Array[],
    position: number,
  ) {
    this.block = Math.floor(position / BLOCK);
    this.offset = position % BLOCK;
  }

  varint(): number {
    let value = 0;
    let shift = 0;
    for (;;) {
      if (this.offset === BLOCK) {
        this.block++;
        this.offset = 0;
      }
      const b = (this.blocks[this.block] as Uint8Array)[this.offset++] as number;
      value |= (b & 0x7f) << shift;
      if (b < 0x80) return value;
      shift += 7;
    }
  }
}

/** FNV-1a over UTF-16 code units, then murmur3's finaliser so the low bits mix well. Unsigned. */
function hashOf(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return finalise(h);
}

function hashChars(chars: Uint16Array, length: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < length; i++) h = Math.imul(h ^ (chars[i] as number), 0x01000193);
  return finalise(h);
}

function finalise(x: number): number {
  let h = x;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Bits of the hash, remixed so the fingerprint hardly depends on the slot index (hash mod capacity). */
function printOf(h: number): number {
  return Math.imul(h, 0x9e3779b1) >>> 0;
}

/** Bits that hold an entry number + 1 in a table of `cap` slots (the count stays below `cap`). */
function entryBitsFor(cap: number): number {
  return 32 - Math.clz32(cap);
}

/** A slot's value: the entry number + 1 under the top bits of the fingerprint. */
function pack(entry: number, h: number, bits: number): number {
  return (((printOf(h) >>> bits) << bits) | (entry + 1)) >>> 0;
}

/** Numbers per page of a numbered family's bitmap: 4,096 bits, 512 bytes. */
const PAGE_BITS = 4096;
/** Trailing digits read as a number at most: 15 digits stay exact in a double. */
const MAX_DIGITS = 15;
/** Families kept as bitmaps at most; ids of further ones go to the arena. */
const MAX_FAMILIES = 1024;
/** A family whose pages hold fewer ids than this on average is frozen once it has a few pages. */
const MIN_IDS_PER_PAGE = 64;
const FREEZE_AFTER_PAGES = 16;

/**
 * The ids of one numbered family (same text before the trailing digits, same number of digits),
 * as bits by number in pages of {@link PAGE_BITS}, made as needed. Frozen when the numbers are
 * too sparse for bits to be cheaper than the arena: it then takes no new ids.
 */
class NumberedFamily {
  readonly pages = new Map<number, Int32Array>();
  count = 0;
  frozen = false;

  has(n: number): boolean {
    const page = this.pages.get(Math.floor(n / PAGE_BITS));
    if (page === undefined) return false;
    const bit = n % PAGE_BITS;
    return ((page[bit >>> 5] as number) & (1 << (bit & 31))) !== 0;
  }

  /** Adds `n`, which must not be there yet. */
  add(n: number): void {
    const key = Math.floor(n / PAGE_BITS);
    let page = this.pages.get(key);
    if (page === undefined) {
      page = new Int32Array(PAGE_BITS >>> 5);
      this.pages.set(key, page);
    }
    const bit = n % PAGE_BITS;
    page[bit >>> 5] = (page[bit >>> 5] as number) | (1 << (bit & 31));
    this.count++;
    if (this.pages.size >= FREEZE_AFTER_PAGES && this.count < this.pages.size * MIN_IDS_PER_PAGE) this.frozen = true;
  }
}

/**
 * An exact set of strings — transaction ids — in typed arrays instead of a `Set<string>`, for the
 * duplicate check over a whole file (a `Set` of 8.6M ids took over a GB: each 13-character id was
 * a slice that kept its 1 MiB chunk of the file alive).
 *
 * Files usually number their rows (`0`, `1`, … or `G42-000000001`, …): such an id is a family
 * (the text before its trailing digits, and how many digits) and a number, and a family's ids are
 * bits in a bitmap, one bit per number, paged so that only the ranges used take memory — a
 * million numbered ids take about 128 KB. The mapping is one to one (the digits, zeros included,
 * are the number written in that many digits), so membership stays exact. Every other id, and
 * those of a family too sparse for bits (frozen) or past the number of families kept, goes to an
 * arena: front-coded bytes (every 16th id whole, the others as the suffix they do not share with
 * the previous one) and an open-addressing table of entry numbers with an 8-bit fingerprint per
 * slot, decoded only when the fingerprint matches — about 9 bytes per id plus 4 per table slot. A
 * hash collision never makes a new id a duplicate (a row wrongly called a duplicate would be lost
 * data). Pure: no I/O.
 *
 * @example
 * const ids = new IdSet();
 * ids.add('tx-1'); // true
 * ids.add('tx-1'); // false: already there
 * ids.has('tx-2'); // false
 */
export class IdSet {
  private readonly arena: ArenaIdSet;
  private readonly families = new Map<string, NumberedFamily>();
  private numbered = 0;
  /** Ids {@link reserve} expects, applied to the arena when it takes its first id. */
  private reserved = 0;
  /** The family of the last numbered id looked at: files number their rows in one family. */
  private lastPrefix = '';
  private lastDigits = 0;
  private lastFamily: NumberedFamily | undefined;
  /** The number of the id {@link familyOf} last split. */
  private number = 0;

  constructor(initialCapacity = 1 << 12) {
    this.arena = new ArenaIdSet(initialCapacity);
  }

  /** Number of ids in the set. */
  get size(): number {
    return this.numbered + this.arena.size;
  }

  /**
   * Expects `expected` ids: the arena's table is sized for them when it takes its first id, so a
   * caller that can estimate the count (from a file's size) saves the rehashes, each of which
   * decodes the whole arena and scatters it anew. Numbered ids need no reserving.
   */
  reserve(expected: number): void {
    if (this.arena.size > 0) this.arena.reserve(expected);
    else this.reserved = Math.max(this.reserved, expected);
  }

  /** Whether `id` was added before. */
  has(id: string): boolean {
    const family = this.familyOf(id, false);
    if (family === null) return this.arena.has(id);
    if (family !== undefined && family.has(this.number)) return true;
    // A frozen family, or one never kept, may have ids in the arena.
    return (family === undefined || family.frozen) && this.arena.has(id);
  }

  /** Adds `id`; returns false (and changes nothing) when it was already there. */
  add(id: string): boolean {
    const family = this.familyOf(id, true);
    if (family !== null && family !== undefined) {
      const n = this.number;
      if (family.has(n)) return false;
      if (!family.frozen) {
        family.add(n);
        this.numbered++;
        return true;
      }
    }
    if (this.reserved > 0 && this.arena.size === 0) {
      this.arena.reserve(this.reserved);
      this.reserved = 0;
    }
    return this.arena.add(id);
  }

  /**
   * The family of a numbered id (its number then in `number`), made when `create` and there is
   * room: null when the id is not numbered, undefined when its family is not kept.
   */
  private familyOf(id: string, create: boolean): NumberedFamily | null | undefined {
    let end = id.length;
    let n = 0;
    let scale = 1;
    while (end > 0) {
      const c = id.charCodeAt(end - 1) - 48;
      if (c < 0 || c > 9) break;
      n += c * scale;
      scale *= 10;
      end--;
    }
    const digits = id.length - end;
    if (digits === 0 || digits > MAX_DIGITS) return null;
    this.number = n;
    if (digits === this.lastDigits && end === this.lastPrefix.length && id.startsWith(this.lastPrefix) && this.lastFamily) {
      return this.lastFamily;
    }
    // Copies: a slice of the id would keep alive whatever the id itself is a slice of.
    const prefix = detached(id.slice(0, end));
    const key = detached(`${digits}:${prefix}`);
    let family = this.families.get(key);
    if (family === undefined) {
      if (!create || this.families.size >= MAX_FAMILIES) return undefined;
      family = new NumberedFamily();
      this.families.set(key, family);
    }
    this.lastPrefix = prefix;
    this.lastDigits = digits;
    this.lastFamily = family;
    return family;
  }
}
