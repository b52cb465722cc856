import { describe, expect, it } from 'vitest';
import { EntityWindows, type Observation, WINDOW_MS } from '../../src/core/windows.js';

// An entity whose store shrinks after a burst ages out: what it keeps must still hold every
// event a window counts. Expected counts are worked out from the list of times, (t - w, t].

const T = Date.UTC(2026, 0, 1);
const SECOND = 1_000;
const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

const obs = (timestamp: number, country: string): Observation => ({ timestamp, amount: 10_000, country });

/** Each window's count of the events in `times` up to and including `t`. */
const expected = (times: readonly number[], t: number): number[] =>
  WINDOW_MS.map((w) => times.filter((x) => x > t - w && x <= t).length);

describe('an entity after a burst', () => {
  it.each([
    ['quiet for two months, then a few events', 40, 0, 60 * DAY, MINUTE],
    ['steady for six weeks, the burst ageing out on the way', 3000, SECOND, HOUR, HOUR],
  ])('%s: counts exactly the events in each window', (_name, burst, burstStep, firstAfter, step) => {
    // Prepare: a burst, then events at `step` from `firstAfter` until 45 days after the burst
    const w = new EntityWindows(7 * DAY);
    const times: number[] = [];
    for (let i = 0; i < burst; i++) times.push(T + i * burstStep);
    for (let t = T + firstAfter; t <= T + Math.max(45 * DAY, firstAfter + 2 * step); t += step) times.push(t);
    const wrong: string[] = [];

    // Act
    times.forEach((t, i) => {
      const got = w.observe(obs(t, i % 3 === 0 ? 'GB' : 'FR')).windows.map((x) => x.count);
      const want = expected(times.slice(0, i + 1), t);
      if (got.join() !== want.join() && wrong.length < 3) wrong.push(`event ${i}: ${got.join()} instead of ${want.join()}`);
    });

    // Assess
    expect(wrong).toEqual([]);
  });
});
