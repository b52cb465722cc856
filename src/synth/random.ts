/**
 * A small, fast, seeded pseudo-random generator (sfc32, Chris Doty-Humphrey's "small fast
 * chaotic" generator) with the distributions the traffic simulator needs. The same seed always
 * gives the same sequence on every platform: it uses only 32-bit integer arithmetic and
 * `Math.log`/`Math.sqrt`/`Math.cos`, which are deterministic across V8 versions for the inputs
 * used here. Never use `Math.random` in the simulator.
 * @example
 * const rng = new Sfc32(42);
 * rng.int(6); // 0..5
 */
export class Sfc32 {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  /** Second value of the last Box–Muller pair, or NaN. */
  private spare = Number.NaN;

  constructor(seed: number) {
    // splitmix32 spreads any 32-bit seed (even 0 or 1) over the four words of state.
    let s = seed >>> 0;
    const mix = (): number => {
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = mix();
    this.b = mix();
    this.c = mix();
    this.d = 1;
    for (let i = 0; i < 15; i++) this.u32();
  }

  /**
   * A generator started from three given state words (the fourth, the counter, starts at 1) and
   * advanced `rounds` times, instead of from a seed spread by splitmix32. For simulators whose
   * published outputs were made with that seeding: the handbook simulator seeds this way, and
   * its files stay byte-identical for a given seed.
   */
  static fromWords(a: number, b: number, c: number, rounds: number): Sfc32 {
    const rng = new Sfc32(0);
    rng.a = a | 0;
    rng.b = b | 0;
    rng.c = c | 0;
    rng.d = 1;
    rng.spare = Number.NaN;
    for (let i = 0; i < rounds; i++) rng.u32();
    return rng;
  }

  /** A uniform 32-bit unsigned integer. */
  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) + t;
    this.c |= 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.u32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** Uniform in [lo, hi). */
  range(lo: number, hi: number): number {
    return lo + this.float() * (hi - lo);
  }

  /** Uniform integer in [lo, hi] (both included). */
  between(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.float() < p;
  }

  /** One element of a non-empty array, uniformly. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }

  /** Standard normal (Box–Muller, both values of each pair used). */
  normal(): number {
    if (!Number.isNaN(this.spare)) {
      const v = this.spare;
      this.spare = Number.NaN;
      return v;
    }
    const u = 1 - this.float();
    const v = this.float();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Log-normal with the given median and log-space standard deviation. */
  lognormal(median: number, sigma: number): number {
    return median * Math.exp(sigma * this.normal());
  }

  /** Exponential with the given mean. */
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.float());
  }

  /** Poisson with mean `lambda` (Knuth for small means, a rounded normal above 30). */
  poisson(lambda: number): number {
    if (lambda <= 0) return 0;
    if (lambda > 30) return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * this.normal()));
    const limit = Math.exp(-lambda);
    let k = 0;
    let p = this.float();
    while (p > limit) {
      k++;
      p *= this.float();
    }
    return k;
  }

  /**
   * `k` distinct integers of [0, n) in draw order: a partial Fisher–Yates shuffle over `scratch`
   * (length ≥ n, overwritten), whose first `k` entries are returned as a view.
   */
  sample(n: number, k: number, scratch: Int32Array): Int32Array {
    for (let i = 0; i < n; i++) scratch[i] = i;
    for (let i = 0; i < k; i++) {
      const j = i + this.int(n - i);
      const t = scratch[i] as number;
      scratch[i] = scratch[j] as number;
      scratch[j] = t;
    }
    return scratch.subarray(0, k);
  }

  /**
   * Index drawn from cumulative weights: `cdf[start .. start + n)` ascending, its last entry the
   * total. The result is relative to `start`.
   */
  fromCdf(cdf: ArrayLike<number>, start = 0, n = cdf.length - start): number {
    const u = this.float() * (cdf[start + n - 1] as number);
    // The first index whose cumulative weight exceeds u (binary search).
    let lo = start;
    let hi = start + n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((cdf[mid] as number) <= u) lo = mid + 1;
      else hi = mid;
    }
    return lo - start;
  }
}

/** Cumulative sums of `weights`, for {@link Sfc32.fromCdf}. */
export function cumulative(weights: readonly number[]): Float64Array {
  const cdf = new Float64Array(weights.length);
  let sum = 0;
  for (let i = 0; i < weights.length; i++) {
    sum += weights[i] as number;
    cdf[i] = sum;
  }
  return cdf;
}

/**
 * `n` standard normal quantiles at (k + 0.5) / n (Acklam's rational approximation, relative
 * error below 1.2e-9). Indexing it with a uniform random integer draws a normal value with
 * one generator call and no transcendental functions: the simulator's hot path uses it.
 */
export function normalQuantiles(n: number): Float64Array {
  const [a0, a1, a2, a3, a4, a5] = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239,
  ];
  const [b0, b1, b2, b3, b4] = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572,
  ];
  const [c0, c1, c2, c3, c4, c5] = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const [d0, d1, d2, d3] = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const tail = (q: number): number =>
    (((((c0 * q + c1) * q + c2) * q + c3) * q + c4) * q + c5) / ((((d0 * q + d1) * q + d2) * q + d3) * q + 1);
  const out = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const p = (k + 0.5) / n;
    if (p < 0.02425) out[k] = tail(Math.sqrt(-2 * Math.log(p)));
    else if (p > 1 - 0.02425) out[k] = -tail(Math.sqrt(-2 * Math.log(1 - p)));
    else {
      const q = p - 0.5;
      const r = q * q;
      out[k] = ((((((a0 * r + a1) * r + a2) * r + a3) * r + a4) * r + a5) * q) /
        (((((b0 * r + b1) * r + b2) * r + b3) * r + b4) * r + 1);
    }
  }
  return out;
}
