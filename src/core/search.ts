/**
 * First index in the sorted range `a[lo, hi)` whose value is greater than `x` (binary search).
 * @example upperBound([1, 2, 2, 3], 0, 4, 2) // 3
 */
export function upperBound(a: ArrayLike<number>, lo: number, hi: number, x: number): number {
  let l = lo;
  let h = hi;
  while (l < h) {
    const mid = (l + h) >>> 1;
    if ((a[mid] as number) <= x) l = mid + 1;
    else h = mid;
  }
  return l;
}
