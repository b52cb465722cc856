/** Smallest block: 2^5 = 32 numbers. */
const MIN_ORDER = 5;
/** Default chunk: 2^20 numbers (8 MiB). */
const DEFAULT_CHUNK_ORDER = 20;

/**
 * Blocks of doubles for many small, growing arrays — the feature store's per-entity state — carved
 * from a few large chunks by a buddy allocator. Pure: no I/O.
 *
 * Why not one `Float64Array` each: every ArrayBuffer is external memory to V8, and V8 answers a
 * steady stream of new ones (tens of thousands of entities doubling their arrays) with forced full
 * collections of the whole heap, seconds each when the heap is large. Chunks are allocated rarely;
 * a block is a view (`subarray`) into one, indexed like any typed array. Plain JS arrays avoid
 * that, but their bytes are live heap, and V8 lets the heap grow to several times its live size.
 *
 * Blocks are powers of two in size. A freed block merges with its free buddy (the other half of
 * the block they were split from), so memory freed by arrays that grew is reused by any size
 * later. Chunks are kept for reuse, not returned to the system. A request larger than a chunk gets
 * an array of its own.
 *
 * @example
 * const pool = new BlockPool();
 * let s = pool.alloc(40); // 64 numbers
 * const bigger = pool.alloc(100); // 128 numbers
 * bigger.set(s); pool.free(s); s = bigger;
 */
export class BlockPool {
  private readonly chunkOrder: number;
  private readonly chunks: Float64Array[] = [];
  private readonly chunkIds = new Map<ArrayBufferLike, number>();
  /** Per order, the chunk-relative start (chunk id × chunk size + offset) of every free block. */
  private readonly freeBlocks: Set<number>[] = [];

  /** @param chunkOrder chunks of 2^chunkOrder numbers (default 2^20: 8 MiB). */
  constructor(chunkOrder = DEFAULT_CHUNK_ORDER) {
    this.chunkOrder = Math.max(MIN_ORDER, chunkOrder);
    for (let o = 0; o <= this.chunkOrder; o++) this.freeBlocks.push(new Set<number>());
  }

  /** A block of at least `size` numbers (a power of two, at least 32). A reused block still holds old numbers. */
  alloc(size: number): Float64Array {
    const order = orderOf(size);
    if (order > this.chunkOrder) return new Float64Array(2 ** order);
    let j = order;
    while (j <= this.chunkOrder && (this.freeBlocks[j] as Set<number>).size === 0) j++;
    let at: number;
    if (j > this.chunkOrder) {
      at = this.chunks.length * 2 ** this.chunkOrder;
      const chunk = new Float64Array(2 ** this.chunkOrder);
      this.chunkIds.set(chunk.buffer, this.chunks.length);
      this.chunks.push(chunk);
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
    const chunk = this.chunks[Math.floor(at / 2 ** this.chunkOrder)] as Float64Array;
    const offset = at % 2 ** this.chunkOrder;
    return chunk.subarray(offset, offset + 2 ** order);
  }

  /** Returns a block from {@link alloc}; it must not be used afterwards. */
  free(block: Float64Array): void {
    const id = this.chunkIds.get(block.buffer);
    if (id === undefined) return; // an oversized array of its own: the GC takes it
    let order = orderOf(block.length);
    let at = id * 2 ** this.chunkOrder + block.byteOffset / 8;
    while (order < this.chunkOrder) {
      const buddy = at ^ (2 ** order);
      const set = this.freeBlocks[order] as Set<number>;
      if (!set.delete(buddy)) break;
      at = Math.min(at, buddy);
      order++;
    }
    (this.freeBlocks[order] as Set<number>).add(at);
  }

  /** Numbers held in chunks (allocated or free), for memory accounting and tests. */
  get capacity(): number {
    return this.chunks.length * 2 ** this.chunkOrder;
  }

  /** Numbers in free blocks, for memory accounting and tests. */
  get freeNumbers(): number {
    let n = 0;
    this.freeBlocks.forEach((set, order) => (n += set.size * 2 ** order));
    return n;
  }
}

/** The order (log2 of the block size) that fits `size` numbers. */
function orderOf(size: number): number {
  let o = MIN_ORDER;
  while (2 ** o < size) o++;
  return o;
}
