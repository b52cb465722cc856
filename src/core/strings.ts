/**
 * A copy of `s` that shares no memory with a larger string. V8 represents a substring of 13 or
 * more characters (a CSV field, a token cut from a digest) as a view into its parent, so a
 * substring kept as a long-lived key (an entity id in feature state) would keep the whole parent
 * alive: a 1 MiB chunk of the input file per key. Concatenation forces a fresh flat string; the
 * slice then refers to that small copy only.
 * @example detached(line.slice(10, 40)) // same characters, without the line behind them
 */
export function detached(s: string): string {
  return ` ${s}`.slice(1);
}
