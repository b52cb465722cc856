import { createHash, createHmac } from 'node:crypto';

/** SHA-256 round constants (FIPS 180-4, 4.2.2). */
const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
]);

/** SHA-256 initial hash value (FIPS 180-4, 5.3.3). */
const IV = new Int32Array([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
]);

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Longest message (in bytes) that fits one SHA-256 block with its padding. */
const ONE_BLOCK = 55;

/**
 * HMAC-SHA256 of short ASCII text under a fixed key, as the first `chars` characters of its
 * base64url digest: the card token. The output is exactly `createHmac('sha256', key)` — tested
 * against it — so stored tokens stay valid; only the cost changes. Node's HMAC builds native
 * objects per call (~2.5 µs, the largest cost of CSV ingest); here the key's inner and outer
 * states are computed once, and a card number (one block) then costs two SHA-256 compressions
 * in plain integer arithmetic (~0.9 µs). The arithmetic has no key- or data-dependent branches
 * or table lookups. Text that is not ASCII or is longer than 55 bytes goes to node:crypto.
 *
 * @example
 * const mac = new HmacSha256(key);
 * mac.base64url('4111111111111111', 22) // === createHmac('sha256', key).update(...).digest('base64url').slice(0, 22)
 */
export class HmacSha256 {
  private readonly inner = new Int32Array(8);
  private readonly outer = new Int32Array(8);
  private readonly state = new Int32Array(8);
  private readonly block = new Int32Array(16);
  private readonly schedule = new Int32Array(64);

  constructor(private readonly key: Buffer) {
    // RFC 2104: a key longer than the block is hashed first; then padded to 64 bytes with zeros.
    const k = Buffer.alloc(64);
    (key.length > 64 ? createHash('sha256').update(key).digest() : key).copy(k);
    this.inner.set(IV);
    this.outer.set(IV);
    for (let i = 0; i < 16; i++) this.block[i] = k.readInt32BE(4 * i) ^ 0x36363636;
    this.compress(this.inner);
    for (let i = 0; i < 16; i++) this.block[i] = k.readInt32BE(4 * i) ^ 0x5c5c5c5c;
    this.compress(this.outer);
  }

  /** The first `chars` (≤ 43) characters of the base64url HMAC of `text`. */
  base64url(text: string, chars: number): string {
    const n = text.length;
    if (n > ONE_BLOCK || !isAscii(text)) {
      return createHmac('sha256', this.key).update(text).digest('base64url').slice(0, chars);
    }
    const m = this.block;
    const h = this.state;
    // Inner hash: the message and its padding in one block after the ipad block.
    m.fill(0);
    for (let i = 0; i < n; i++) m[i >> 2] = (m[i >> 2] as number) | (text.charCodeAt(i) << (24 - 8 * (i & 3)));
    m[n >> 2] = (m[n >> 2] as number) | (0x80 << (24 - 8 * (n & 3)));
    m[15] = (64 + n) * 8;
    h.set(this.inner);
    this.compress(h);
    // Outer hash: the 32-byte inner digest and its padding in one block after the opad block.
    for (let i = 0; i < 8; i++) m[i] = h[i] as number;
    m[8] = 0x80000000;
    for (let i = 9; i < 15; i++) m[i] = 0;
    m[15] = (64 + 32) * 8;
    h.set(this.outer);
    this.compress(h);
    return toBase64url(h, chars);
  }

  /** One SHA-256 compression of `this.block` into `h` (FIPS 180-4, 6.2.2). */
  private compress(h: Int32Array): void {
    const w = this.schedule;
    w.set(this.block);
    for (let t = 16; t < 64; t++) {
      const w15 = w[t - 15] as number;
      const w2 = w[t - 2] as number;
      const s0 = ((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3);
      const s1 = ((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10);
      w[t] = ((w[t - 16] as number) + s0 + (w[t - 7] as number) + s1) | 0;
    }
    let a = h[0] as number;
    let b = h[1] as number;
    let c = h[2] as number;
    let d = h[3] as number;
    let e = h[4] as number;
    let f = h[5] as number;
    let g = h[6] as number;
    let hh = h[7] as number;
    for (let t = 0; t < 64; t++) {
      const s1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const ch = (e & f) ^ (~e & g);
      const t1 = (hh + s1 + ch + (K[t] as number) + (w[t] as number)) | 0;
      const s0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const t2 = (s0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
      hh = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) | 0;
    }
    h[0] = ((h[0] as number) + a) | 0;
    h[1] = ((h[1] as number) + b) | 0;
    h[2] = ((h[2] as number) + c) | 0;
    h[3] = ((h[3] as number) + d) | 0;
    h[4] = ((h[4] as number) + e) | 0;
    h[5] = ((h[5] as number) + f) | 0;
    h[6] = ((h[6] as number) + g) | 0;
    h[7] = ((h[7] as number) + hh) | 0;
  }
}

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** The first `chars` base64url characters of the 32-byte digest in `h` (big-endian words). */
function toBase64url(h: Int32Array, chars: number): string {
  let out = '';
  let acc = 0;
  let bits = 0;
  let half = 0;
  for (let c = 0; c < chars; c++) {
    if (bits < 6) {
      // Feed 16 bits at a time so `acc` stays within 32-bit integer arithmetic.
      const word = h[half >> 1] as number;
      acc = (acc << 16) | ((half & 1 ? word : word >>> 16) & 0xffff);
      bits += 16;
      half++;
    }
    bits -= 6;
    out += BASE64URL[(acc >>> bits) & 63];
    acc &= (1 << bits) - 1;
  }
  return out;
}
