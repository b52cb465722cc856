import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BlockPool } from '../../src/core/blockPool.js';

describe('BlockPool', () => {
  it('rounds a request up to a power of two of at least 32 numbers', () => {
    // Prepare
    const pool = new BlockPool(10);

    // Act
    const small = pool.alloc(1);
    const odd = pool.alloc(33);
    const exact = pool.alloc(128);

    // Assess
    expect(small.length).toBe(32);
    expect(odd.length).toBe(64);
    expect(exact.length).toBe(128);
  });

  it('merges freed buddies back into the whole chunk, so freed memory serves any size', () => {
    // Prepare: a 1,024-number chunk split into 32 blocks of 32.
    const pool = new BlockPool(10);
    const blocks = Array.from({ length: 32 }, () => pool.alloc(32));
    expect(pool.capacity).toBe(1024);
    expect(pool.freeNumbers).toBe(0);

    // Act
    for (const b of blocks) pool.free(b);
    const whole = pool.alloc(1024);

    // Assess: no second chunk was needed for the whole-chunk block.
    expect(pool.capacity).toBe(1024);
    expect(whole.length).toBe(1024);
    expect(pool.freeNumbers).toBe(0);
  });

  it('gives an oversized request an array of its own, outside the chunks', () => {
    // Prepare
    const pool = new BlockPool(10);

    // Act
    const big = pool.alloc(5000);
    pool.free(big);

    // Assess
    expect(big.length).toBe(8192);
    expect(pool.capacity).toBe(0);
    expect(pool.freeNumbers).toBe(0);
  });

  it('never hands out overlapping live blocks, and accounts for every number (random alloc/free)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer({ min: 1, max: 700 }), fc.constant(-1)), { minLength: 1, maxLength: 200 }),
        (ops) => {
          // Prepare
          const pool = new BlockPool(10);
          const live: { block: Float64Array; tag: number }[] = [];

          // Act: a positive op allocates that many numbers and tags them; -1 frees the oldest live block.
          ops.forEach((op, tag) => {
            if (op === -1) {
              const gone = live.shift();
              if (gone) pool.free(gone.block);
              return;
            }
            const block = pool.alloc(op);
            block.fill(tag);
            live.push({ block, tag });
          });

          // Assess: every live block still holds only its own tag, and chunk numbers are live or free.
          for (const { block, tag } of live) expect(block.every((v) => v === tag)).toBe(true);
          const inChunks = live.reduce((n, { block }) => n + (block.length <= 1024 ? block.length : 0), 0);
          expect(inChunks + pool.freeNumbers).toBe(pool.capacity);
        },
      ),
    );
  });

  it('stays exact over 50,000 random allocations and frees of mixed sizes', () => {
    // Prepare: a deterministic mix of sizes; live blocks are tagged and checked at the end.
    const pool = new BlockPool(12);
    const live: { block: Float64Array; tag: number }[] = [];
    let seed = 42;
    const next = (): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };

    // Act: allocate while fewer than 200 blocks live, otherwise free a random one, with bias.
    for (let tag = 0; tag < 50_000; tag++) {
      if (live.length < 200 && next() < 0.55) {
        const block = pool.alloc(1 + Math.floor(next() * next() * 600));
        block.fill(tag);
        live.push({ block, tag });
      } else if (live.length > 0) {
        const i = Math.floor(next() * live.length);
        const [gone] = live.splice(i, 1);
        if (gone) pool.free(gone.block);
      }
    }

    // Assess
    for (const { block, tag } of live) expect(block.every((v) => v === tag)).toBe(true);
    const inChunks = live.reduce((n, { block }) => n + block.length, 0);
    expect(inChunks + pool.freeNumbers).toBe(pool.capacity);
    for (const { block } of live) pool.free(block);
    expect(pool.freeNumbers).toBe(pool.capacity);
  });

  it('merges thousands of freed small blocks back into their chunk, round after round', () => {
    // Prepare: one 64 Ki-number chunk in 2,048 blocks of 32.
    const pool = new BlockPool(16);
    for (let round = 0; round < 3; round++) {
      const blocks = Array.from({ length: 2048 }, () => pool.alloc(32));
      blocks.forEach((b, i) => b.fill(round * 10_000 + i));

      // Act: free the even blocks (each stays free on its own), then the odd ones (each merges
      // with its even buddy, and the pairs merge on up).
      blocks.forEach((b, i) => i % 2 === 0 && pool.free(b));
      const survivors = blocks.filter((_, i) => i % 2 === 1);
      survivors.forEach((b, k) => expect(b[0]).toBe(round * 10_000 + 2 * k + 1));
      survivors.forEach((b) => pool.free(b));

      // Assess: everything merged back into the one chunk.
      expect(pool.capacity).toBe(2 ** 16);
      expect(pool.freeNumbers).toBe(2 ** 16);
    }
  });
});
