/** Smallest block by default: 2^5 = 32 numbers. */
const DEFAULT_MIN_ORDER = 5;
/** Default chunk: 2^20 numbers (8 MiB). */
const DEFAULT_CHUNK_ORDER = 20;
const EMPTY = new Float64Array(0);
const EMPTY_WORDS = new Uint32Array(0);

/**
 * Blocks of doubles for many small, growing arrays — the feature store's per-entity state — carved
 * from a few large chunks by a buddy allocator. Pure: no I/O.
 *
 * Why not one `Float64Array` each: every ArrayBuffer is external memory to V8, and V8 answers a
 * steady stream of new ones (tens of thousands of entities doubling their arrays) with forced full
 * collections of the whole heap, seconds each when the heap is large. Chunks are allocated rarely.
 *
 * Two ways to use it. {@link alloc} hands out a view (`subarray`) indexed like any typed array.
 * {@link allocAt} hands out an address, a plain number: the block is `chunk(address)` from
 * `offset(address)` on, so a caller keeping many blocks stores numbers in its own typed arrays
 * instead of an object per block.
 *
 * Blocks are powers of two in size. A freed block merges with its free buddy (the other half of
 * the block they were split from), so memory freed by arrays that grew is reused by any size
 * later. Chunks are kept for reuse, not returned to the system. A request larger than a chunk gets
 * an array of its own, given back to the garbage collector when freed. Addresses stay below 2^32
 * (32 GiB of numbers), so they split with 32-bit operations.
 *
 * @example
 * const pool = new BlockPool();
 * let s = pool.alloc(40); // 64 numbers
 * const bigger = pool.alloc(100); // 128 numbers
 * bigger.set(s); pool.free(s); s = bigger;
 */
export class BlockPool {
  /** log2 of the numbers in a chunk: an address's chunk is `address >>> chunkOrder`. */
  readonly chunkOrder: number;
  /** `address & mask` is the offset in the chunk. */
  private readonly mask: number;
  private readonly minOrder: number;
  /** Chunks by id; an oversized block is a "chunk" of its own, emptied when freed. */
  private readonly chunks: Float64Array[] = [];
  /** The same chunks as 32-bit words (two per number), for callers that pack two words in a number. */
  private readonly wordChunks: Uint32Array[] = [];
  private readonly chunkIds = new Map<ArrayBufferLike, number>();
  /** Ids of emptied oversized chunks, for reuse. */
  private readonly spareIds: number[] = [];
  /** Number of regular (chunk-sized) chunks. */
  private regular = 0;
  /** Per order, the address of every free block. */
  private readonly freeBlocks: Set<number>[] = [];

  /**
   * @param chunkOrder chunks of 2^chunkOrder numbers (default 2^20: 8 MiB).
   * @param minOrder the smallest block is 2^minOrder numbers (default 32).
   */
  constructor(chunkOrder = DEFAULT_CHUNK_ORDER, minOrder = DEFAULT_MIN_ORDER) {
    this.minOrder = Math.max(1, minOrder);
    this.chunkOrder = Math.min(30, Math.max(this.minOrder, chunkOrder));
    this.mask = 2 ** this.chunkOrder - 1;
    for (let o = 0; o <= this.chunkOrder; o++) this.freeBlocks.push(new Set<number>());
  }

  /** A block of at least `size` numbers (a power of two, at least the minimum). A reused block still holds old numbers. */
  alloc(size: number): Float64Array {
    const at = this.allocAt(size);
    const chunk = this.chunk(at);
    const offset = this.offset(at);
    return chunk.subarray(offset, offset + this.sizeOf(size));
  }

  /** Returns a block from {@link alloc}; it must not be used afterwards. */
  free(block: Float64Array): void {
    const id = this.chunkIds.get(block.buffer);
    if (id === undefined) return;
    this.freeAt(id * 2 ** this.chunkOrder + block.byteOffset / 8, block.length);
  }

  /** The size a request for `size` numbers is rounded up to. */
  sizeOf(size: number): number {
    return 2 ** orderOf(size, this.minOrder);
  }

  /**
   * The address of a block of `sizeOf(size)` numbers: read and write it in `chunk(address)` from
   * `offset(address)`. A reused block still holds old numbers.
   */
  allocAt(size: number): number {
    const order = orderOf(size, this.minOrder);
    const chunkSize = 2 ** this.chunkOrder;
    if (order > this.chunkOrder) {
      const big = new Float64Array(2 ** order);
      const id = this.newId();
      this.chunks[id] = big;
      this.wordChunks[id] = new Uint32Array(big.buffer);
      this.chunkIds.set(big.buffer, id);
      return id * chunkSize;
    }
    let j = order;
    while (j <= this.chunkOrder && (this.freeBlocks[j] as Set<number>).size === 0) j++;
    let at: number;
    if (j > this.chunkOrder) {
      const chunk = new Float64Array(chunkSize);
      const id = this.newId();
      this.chunks[id] = chunk;
      this.wordChunks[id] = new Uint32Array(chunk.buffer);
      this.chunkIds.set(chunk.buffer, id);
      this.regular++;
      at = id * chunkSize;
      j = this.chunkOrder;
    } else {
      const set = this.freeBlocks[j] as Set<number>;
      at = set.values().next().value as number;
      set.delete(at);
    }
    // Split down to the order asked for; each upper half is a free buddy.
    while (j > order) {
      j--;
      (this.freeBlocks[j] as Set<number>).add(at + 2 ** j);
    }
    return at;
  }

  /** Returns the block at `address`, allocated for `size` numbers; it must not be used afterwards. */
  freeAt(address: number, size: number): void {
    let order = orderOf(size, this.minOrder);
    if (order > this.chunkOrder) {
      const id = address / 2 ** this.chunkOrder;
      this.chunkIds.delete((this.chunks[id] as Float64Array).buffer);
      this.chunks[id] = EMPTY;
      this.wordChunks[id] = EMPTY_WORDS;
      this.spareIds.push(id);
      return;
    }
    let at = address;
    while (order < this.chunkOrder) {
      const buddy = at ^ (2 ** order);
      const set = this.freeBlocks[order] as Set<number>;
      if (!set.delete(buddy)) break;
      at = Math.min(at, buddy);
      order++;
    }
    (this.freeBlocks[order] as Set<number>).add(at);
  }

  /** An id for a new chunk, reusing an emptied one's. */
  private newId(): number {
    const id = this.spareIds.pop() ?? this.chunks.length;
    if ((id + 1) * 2 ** this.chunkOrder > 2 ** 32) throw new RangeError('the block pool is full (32 GiB of numbers)');
    return id;
  }

  /** The array holding the block at `address`. */
  chunk(address: number): Float64Array {
    return this.chunks[address >>> this.chunkOrder] as Float64Array;
  }

  /**
   * {@link chunk} as 32-bit words: number `i` of the chunk is words `2i` and `2i + 1`. Copy numbers
   * that hold packed words through this view (or `copyWithin`): reading them as doubles may not
   * keep every bit.
   */
  words(address: number): Uint32Array {
    return this.wordChunks[address >>> this.chunkOrder] as Uint32Array;
  }

  /** Where the block at `address` starts in {@link chunk}. */
  offset(address: number): number {
    return address & this.mask;
  }

  /** Numbers held in chunks (allocated or free), for memory accounting and tests. */
  get capacity(): number {
    return this.regular * 2 ** this.chunkOrder;
  }

  /** Numbers in free blocks, for memory accounting and tests. */
  get freeNumbers(): number {
    let n = 0;
    this.freeBlocks.forEach((set, order) => (n += set.size * 2 ** order));
    return n;
  }
}

/** The order (log2 of the block size) that fits `size` numbers. */
function orderOf(size: number, minOrder: number): number {
  if (size <= 2 ** minOrder) return minOrder;
  if (size <= 2 ** 31) return 32 - Math.clz32(size - 1);
  let o = 31;
  while (2 ** o < size) o++;
  return o;
}
