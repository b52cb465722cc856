/**
 * Writes CSV rows as ASCII bytes straight into a buffer. Every row needs a timestamp, an id
 * and two money values; building them as strings (`toISOString`, `toFixed`, concatenation)
 * made garbage collection the largest cost of a run, so fields are pre-encoded once and
 * numbers written digit by digit.
 */

const encoder = new TextEncoder();

/** ASCII bytes of a string (all generated text is ASCII). */
export function ascii(text: string): Uint8Array {
  return encoder.encode(text);
}

const COMMA = 44;
const DOT = 46;
const ZERO = 48;
const MINUS = 45;

let times: Uint8Array | undefined;

/** `HH:MM:SSZ` for every second of a day, 9 bytes each, built once. */
function timeTable(): Uint8Array {
  if (times === undefined) {
    times = new Uint8Array(86_400 * 9);
    for (let s = 0; s < 86_400; s++) {
      const h = Math.floor(s / 3600);
      const m = Math.floor(s / 60) % 60;
      const x = s % 60;
      const o = s * 9;
      times[o] = ZERO + Math.floor(h / 10);
      times[o + 1] = ZERO + (h % 10);
      times[o + 2] = 58;
      times[o + 3] = ZERO + Math.floor(m / 10);
      times[o + 4] = ZERO + (m % 10);
      times[o + 5] = 58;
      times[o + 6] = ZERO + Math.floor(x / 10);
      times[o + 7] = ZERO + (x % 10);
      times[o + 8] = 90;
    }
  }
  return times;
}

/** The date part of an ISO 8601 timestamp (`2026-01-01T`) of the UTC day holding `epochSeconds`. */
export function datePrefix(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().slice(0, 11);
}

/**
 * The fixed texts rows are made of (account and card, merchant and place, row ends), encoded
 * once into one contiguous block: rows copy them by id from memory that stays in cache.
 * @example
 * const texts = new TextTable();
 * const id = texts.add('A0000001,T000250,');
 */
export class TextTable {
  private readonly parts: Uint8Array[] = [];
  private size = 0;

  /** Texts added so far: the id the next one gets. */
  get count(): number {
    return this.parts.length;
  }

  /** Adds a text and returns its id. */
  add(text: string): number {
    const bytes = ascii(text);
    this.parts.push(bytes);
    this.size += bytes.length;
    return this.parts.length - 1;
  }

  /** The texts laid end to end, with each one's offset and length. */
  build(): { bytes: Uint8Array; offsets: Int32Array; lengths: Int32Array } {
    const bytes = new Uint8Array(this.size);
    const offsets = new Int32Array(this.parts.length);
    const lengths = new Int32Array(this.parts.length);
    let at = 0;
    for (const [i, p] of this.parts.entries()) {
      bytes.set(p, at);
      offsets[i] = at;
      lengths[i] = p.length;
      at += p.length;
    }
    return { bytes, offsets, lengths };
  }
}

/**
 * Writes rows as ASCII bytes into one buffer that also holds the {@link TextTable}, so a text
 * is copied with `copyWithin` (a memmove, no allocation). `take()` copies the rows out.
 * @example
 * const w = new RowWriter(texts, 1 << 20);
 * w.put(id); w.cents(1234); w.byte(10);
 * w.take(); // the bytes of the text, "12.34\n"
 */
export class RowWriter {
  private readonly mem: Uint8Array;
  private readonly offsets: Int32Array;
  private readonly lengths: Int32Array;
  /** Where rows start in `mem` (after the texts). */
  private readonly base: number;
  private pos: number;
  private readonly limit: number;
  private readonly time = timeTable();
  private readonly digits = new Uint8Array(24);

  constructor(texts: TextTable, size: number) {
    const { bytes, offsets, lengths } = texts.build();
    // Slack past `size` so a row started below the limit always fits.
    this.mem = new Uint8Array(bytes.length + size + 4096);
    this.mem.set(bytes);
    this.offsets = offsets;
    this.lengths = lengths;
    this.base = bytes.length;
    this.pos = this.base;
    this.limit = this.base + size;
  }

  /** Bytes written since the last `take()`. */
  get length(): number {
    return this.pos - this.base;
  }

  /** True when the buffer is past its nominal size: time to `take()`. */
  get full(): boolean {
    return this.pos >= this.limit;
  }

  /** A copy of the bytes written since the last `take()`; writing starts over. */
  take(): Uint8Array {
    const out = this.mem.slice(this.base, this.pos);
    this.pos = this.base;
    return out;
  }

  byte(b: number): void {
    this.mem[this.pos++] = b;
  }

  comma(): void {
    this.mem[this.pos++] = COMMA;
  }

  /** A text of the table, by id. */
  put(id: number): void {
    const mem = this.mem;
    let from = this.offsets[id] as number;
    const n = this.lengths[id] as number;
    if (n > 12) {
      // copyWithin beats a byte loop from about a dozen bytes on.
      mem.copyWithin(this.pos, from, from + n);
      this.pos += n;
      return;
    }
    let p = this.pos;
    const end = from + n;
    while (from < end) mem[p++] = mem[from++] as number;
    this.pos = p;
  }

  /** `HH:MM:SSZ` of a second of the day. */
  timeOfDay(second: number): void {
    const mem = this.mem;
    const src = this.time;
    let p = this.pos;
    const o = second * 9;
    for (let i = 0; i < 9; i++) mem[p++] = src[o + i] as number;
    this.pos = p;
  }

  /** A non-negative integer, zero-padded to at least `width` digits. */
  integer(value: number, width = 1): void {
    const d = this.digits;
    let n = 0;
    let v = value;
    do {
      const q = Math.floor(v / 10);
      d[n++] = ZERO + (v - q * 10);
      v = q;
    } while (v > 0);
    while (n < width) d[n++] = ZERO;
    const mem = this.mem;
    let p = this.pos;
    while (n > 0) mem[p++] = d[--n] as number;
    this.pos = p;
  }

  /** An amount in cents as a decimal with 2 places (`-12.05`, `1234.50`). */
  cents(value: number): void {
    let v = value;
    if (v < 0) {
      this.mem[this.pos++] = MINUS;
      v = -v;
    }
    const whole = Math.floor(v / 100);
    const frac = v - whole * 100;
    this.integer(whole);
    const mem = this.mem;
    mem[this.pos++] = DOT;
    mem[this.pos++] = ZERO + Math.floor(frac / 10);
    mem[this.pos++] = ZERO + (frac % 10);
  }
}

/**
 * An amount in cents as a decimal string with 2 places.
 * @example formatCents(123456) // '1234.56'
 */
export function formatCents(cents: number): string {
  if (cents < 0) return `-${formatCents(-cents)}`;
  const whole = Math.floor(cents / 100);
  return `${whole}.${String(cents - whole * 100).padStart(2, '0')}`;
}
