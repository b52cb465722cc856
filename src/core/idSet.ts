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
 * An exact set of strings — transaction ids — held in typed arrays instead of a `Set<string>`,
 * for the duplicate check over a whole file (benchmark 5: 8.6M ids in a `Set` took over a GB,
 * because each 13-character id was a slice that kept its 1 MiB chunk of the file alive).
 *
 * The ids are appended to a byte arena in insertion order, front-coded: every 16th whole, the
 * others as (characters shared with the previous id, the rest). Files usually number their rows,
 * so `G42-000000002` after `G42-000000001` costs 3 bytes. An open-addressing table (linear probing)
 * holds, per slot, the id's entry number and an 8-bit fingerprint of its hash. A lookup decodes an
 * id from the arena only when the fingerprint matches, so membership is exact: a hash collision
 * never makes a new id a duplicate (a row wrongly called a duplicate would be lost data).
 *
 * Memory is 4 bytes per table slot (load 0.375–0.75, or just under 0.75 after {@link reserve}) plus
 * the arena: ~9 bytes per numbered id, against ~100 for a `Set` of strings. Pure: no I/O.
 *
 * @example
 * const ids = new IdSet();
 * ids.add('tx-1'); // true
 * ids.add('tx-1'); // false: already there
 * ids.has('tx-2'); // false
 */
export class IdSet {
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
