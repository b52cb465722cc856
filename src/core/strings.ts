/** V8 makes a slice of at least this many characters a view into its parent string. */
const SLICE_MIN_LENGTH = 13;

/**
 * `s` in memory of its own. V8 represents a substring of 13 or more characters (a CSV field, a
 * token cut from a digest) as a view into its parent, so a substring that lives as long as the run
 * (a merchant name as a feature-state key, a transaction held in a batch) keeps its whole parent
 * alive: a chunk of the input file per string. Concatenation forces a fresh flat string, and the
 * slice then refers to that small copy only; shorter substrings are copies already.
 * @example detached(line.slice(10, 40)) // same characters, without the line behind them
 */
export function detached(s: string): string {
  return s.length < SLICE_MIN_LENGTH ? s : ` ${s}`.slice(1);
}
