/** Marks an empty slot in {@link KeyIds}. */
const EMPTY = -1;

/**
 * Interns string keys (entity ids: accounts, cards, terminals, merchants) to dense integer ids: an
 * open-addressing hash table with linear probing over typed arrays, keyed by a 32-bit FNV-1a hash
 * of the key's UTF-16 code units. Removal shifts later entries of the probe run back, so there are
 * no tombstones and lookups stay short however many keys come and go. Pure: no I/O.
 *
 * @example
 * const ids = new KeyIds();
 * ids.set('acct-1', 0);
 * ids.get('acct-1'); // 0
 * ids.get('acct-2'); // -1
 */
export class KeyIds {
  private keys: (string | undefined)[];
  private hashes: Int32Array;
  private ids: Int32Array;
  private mask: number;
  private count = 0;

  constructor(capacity = 1024) {
    let n = 16;
    while (n < capacity * 2) n *= 2;
    this.keys = new Array<string | undefined>(n).fill(undefined);
    this.hashes = new Int32Array(n);
    this.ids = new Int32Array(n).fill(EMPTY);
    this.mask = n - 1;
  }

  /** Number of keys held. */
  get size(): number {
    return this.count;
  }

  /** The id of `key`, or -1 when it has none. */
  get(key: string): number {
    return this.getHashed(key, hashOf(key));
  }

  /** {@link get} of a key whose {@link KeyIds.hash} is `h`. */
  getHashed(key: string, h: number): number {
    const ids = this.ids;
    const mask = this.mask;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const id = ids[i] as number;
      if (id === EMPTY) return EMPTY;
      if (this.hashes[i] === h && this.keys[i] === key) return id;
    }
  }

  /** The hash a key is looked up by. */
  static hash(key: string): number {
    return hashOf(key);
  }

  /**
   * Reads, and changes nothing, the slot a lookup of a key of hash `h` starts at and the key held
   * there: called ahead of {@link getHashed}, it starts that lookup's cache misses early. Returns
   * a number made of what it read, so that the reads are not left out.
   */
  touch(h: number): number {
    const i = h & this.mask;
    return (this.ids[i] as number) ^ (this.keys[i]?.length ?? 0);
  }

  /** Gives `key` (which must have no id yet) the id `id` (>= 0). */
  set(key: string, id: number): void {
    if ((this.count + 1) * 2 > this.ids.length) this.resize(this.ids.length * 2);
    this.place(key, hashOf(key), id);
    this.count++;
  }

  /** Forgets `key`; true when it had an id. */
  delete(key: string): boolean {
    const h = hashOf(key);
    const mask = this.mask;
    let i = h & mask;
    for (; ; i = (i + 1) & mask) {
      if (this.ids[i] === EMPTY) return false;
      if (this.hashes[i] === h && this.keys[i] === key) break;
    }
    // Backward-shift deletion: move up every later entry of the run that may sit in the hole.
    let hole = i;
    for (let j = (i + 1) & mask; this.ids[j] !== EMPTY; j = (j + 1) & mask) {
      const home = (this.hashes[j] as number) & mask;
      // Entry j stays when its home is cyclically within (hole, j]; otherwise it fills the hole.
      const stays = hole <= j ? hole < home && home <= j : hole < home || home <= j;
      if (!stays) {
        this.keys[hole] = this.keys[j];
        this.hashes[hole] = this.hashes[j] as number;
        this.ids[hole] = this.ids[j] as number;
        hole = j;
      }
    }
    this.keys[hole] = undefined;
    this.ids[hole] = EMPTY;
    this.count--;
    return true;
  }

  /** Calls `visit` for every key and its id (the table must not change meanwhile). */
  forEach(visit: (key: string, id: number) => void): void {
    for (let i = 0; i < this.ids.length; i++) {
      const id = this.ids[i] as number;
      if (id !== EMPTY) visit(this.keys[i] as string, id);
    }
  }

  /** Every key and its id, collected first: the caller may then delete while walking them. */
  entries(): [string, number][] {
    const out: [string, number][] = [];
    this.forEach((key, id) => out.push([key, id]));
    return out;
  }

  /** Forgets every key. */
  clear(): void {
    this.keys.fill(undefined);
    this.ids.fill(EMPTY);
    this.count = 0;
  }

  private place(key: string, h: number, id: number): void {
    const mask = this.mask;
    let i = h & mask;
    while (this.ids[i] !== EMPTY) i = (i + 1) & mask;
    this.keys[i] = key;
    this.hashes[i] = h;
    this.ids[i] = id;
  }

  private resize(n: number): void {
    const { keys, hashes, ids } = this;
    this.keys = new Array<string | undefined>(n).fill(undefined);
    this.hashes = new Int32Array(n);
    this.ids = new Int32Array(n).fill(EMPTY);
    this.mask = n - 1;
    for (let i = 0; i < ids.length; i++) {
      if (ids[i] !== EMPTY) this.place(keys[i] as string, hashes[i] as number, ids[i] as number);
    }
  }
}

/** 32-bit FNV-1a over the UTF-16 code units of `s`. */
function hashOf(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h | 0;
}
