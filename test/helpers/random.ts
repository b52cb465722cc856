/**
 * A small seeded generator (LCG) returning numbers in [0, 1): the same seed always gives the
 * same sequence, so generated test data is deterministic without a dependency.
 * @example const rand = seededRandom(7); rand(); // 0.000…1
 */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}
