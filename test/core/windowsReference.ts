import { type EntityFeatures, WINDOW_MS, type WindowAggregate } from '../../src/core/windows.js';

/** One event of one entity, as the reference sees it. */
export interface RefEvent {
  timestamp: number;
  amount: number;
  country: string | undefined;
}

/**
 * Brute-force features of `history[i]`, straight from the definition in windows.ts: aggregate
 * every event observed so far (`history[0..i]`, processing order), itself included, whose time
 * is in `(t - w, t]`; `previous` is, among events observed before it, the one with the greatest
 * timestamp `<= t`, ties going to the one observed last (the implementation inserts a late
 * event after every retained event with an equal time, via `upperBound`, so among equal times
 * the array keeps processing order and the last of them is the latest observed).
 */
export function referenceFeatures(history: readonly RefEvent[], i: number): EntityFeatures {
  const e = history[i];
  if (!e) throw new RangeError(`no event ${i}`);
  const seen = history.slice(0, i + 1);
  const windows = WINDOW_MS.map((w): WindowAggregate => {
    const inside = seen.filter((h) => h.timestamp > e.timestamp - w && h.timestamp <= e.timestamp);
    const countries = new Set(inside.flatMap((h) => (h.country === undefined ? [] : [h.country])));
    return {
      count: inside.length,
      sum: inside.reduce((s, h) => s + h.amount, 0),
      sumSq: inside.reduce((s, h) => s + (h.amount / 10_000) ** 2, 0),
      countries: countries.size,
    };
  });
  let previous: RefEvent | undefined;
  for (const h of history.slice(0, i)) {
    if (h.timestamp <= e.timestamp && (previous === undefined || h.timestamp >= previous.timestamp)) previous = h;
  }
  return previous ? { windows, previous: { timestamp: previous.timestamp, country: previous.country } } : { windows };
}

/** Sum of squared amounts (currency units²) over a history: the scale float error is relative to. */
export function squareScale(history: readonly RefEvent[]): number {
  return history.reduce((s, h) => s + (h.amount / 10_000) ** 2, 0);
}

/**
 * Describes how `actual` differs from `expected`, or returns undefined when they agree: counts,
 * sums and countries exactly, `sumSq` within 1e-9 of `scale` (it is a running float sum, so it
 * drifts by rounding as events enter and leave), `previous` exactly.
 */
export function featureMismatch(actual: EntityFeatures, expected: EntityFeatures, scale: number): string | undefined {
  const problems: string[] = [];
  for (const [w, exp] of expected.windows.entries()) {
    const act = actual.windows[w];
    if (!act) {
      problems.push(`window ${w} missing`);
      continue;
    }
    if (act.count !== exp.count) problems.push(`window ${w} count ${act.count} != ${exp.count}`);
    if (act.sum !== exp.sum) problems.push(`window ${w} sum ${act.sum} != ${exp.sum}`);
    if (act.countries !== exp.countries) problems.push(`window ${w} countries ${act.countries} != ${exp.countries}`);
    if (!(Math.abs(act.sumSq - exp.sumSq) <= 1e-9 * scale + 1e-12)) {
      problems.push(`window ${w} sumSq ${act.sumSq} != ${exp.sumSq}`);
    }
  }
  if (actual.windows.length !== expected.windows.length) problems.push(`${actual.windows.length} windows`);
  const a = actual.previous;
  const e = expected.previous;
  if (a?.timestamp !== e?.timestamp || a?.country !== e?.country || (a === undefined) !== (e === undefined)) {
    problems.push(`previous ${JSON.stringify(a)} != ${JSON.stringify(e)}`);
  }
  return problems.length > 0 ? problems.join('; ') : undefined;
}
