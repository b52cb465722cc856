/**
 * The pipeline's event-time clock: the latest transaction time it has taken in. A label posted
 * now becomes known at this time (never at the wall clock), so features built from labels mean
 * the same on a replay of history, on the live stream and on both runtimes.
 */
export interface EventClock {
  /** The latest transaction time taken in (epoch ms), or `-Infinity` before the first. */
  latest(): Promise<number>;
  /** Moves the clock to `t` when `t` is later; never back. */
  advance(t: number): Promise<void>;
}
