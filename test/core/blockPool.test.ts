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
});
