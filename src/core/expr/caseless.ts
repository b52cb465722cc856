/**
 * A set of strings matched case-insensitively without allocating per lookup: `toLowerCase()` on
 * every row would make a new string for each value with a capital (every country code). An ASCII
 * value is hashed with its letters folded to lower case, char by char, and compared the same way
 * with the entries of its bucket; anything else falls back to `toLowerCase()` (same result, since
 * entries are lower-cased with it).
 *
 * @example new CaselessSet(['kp', 'iran']).has('IRAN') // true
 */
export class CaselessSet {
  private readonly buckets = new Map<number, string[]>();
  private readonly lower: ReadonlySet<string>;

  /** @param values entries, already trimmed and lower-cased */
  constructor(values: Iterable<string>) {
    const lower = new Set(values);
    this.lower = lower;
    for (const v of lower) {
      if (!isAscii(v)) continue;
      const h = foldedHash(v);
      const bucket = this.buckets.get(h);
      if (bucket) bucket.push(v);
      else this.buckets.set(h, [v]);
    }
  }

  has(value: string): boolean {
    if (!isAscii(value)) return this.lower.has(value.toLowerCase());
    const bucket = this.buckets.get(foldedHash(value));
    if (bucket === undefined) return false;
    for (let i = 0; i < bucket.length; i++) if (equalsFolded(value, bucket[i] as string)) return true;
    return false;
  }
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 127) return false;
  return true;
}

/** ASCII letter to lower case. */
function fold(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

/** FNV-1a over the folded characters. */
function foldedHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ fold(s.charCodeAt(i)), 0x01000193);
  return h >>> 0;
}

/** Whether `value` folded equals `lower` (already lower case). */
function equalsFolded(value: string, lower: string): boolean {
  if (value.length !== lower.length) return false;
  for (let i = 0; i < value.length; i++) if (fold(value.charCodeAt(i)) !== lower.charCodeAt(i)) return false;
  return true;
}
