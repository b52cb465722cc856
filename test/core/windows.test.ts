import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BlockPool } from '../../src/core/blockPool.js';
import { CountryCodes, EntityWindows, type Observation, WINDOW_MS, WINDOWS, WindowTable } from '../../src/core/windows.js';
import { featureMismatch, type RefEvent, referenceFeatures, squareScale } from './windowsReference.js';

const T = Date.UTC(2024, 0, 1);
const SECOND = 1_000;
const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

function obs(timestamp: number, amount = 10_000, country?: string): Observation {
  return { timestamp, amount, country };
}

function counts(f: { windows: { count: number }[] }): number[] {
  return f.windows.map((w) => w.count);
}

describe('WINDOWS', () => {
  it('lists 1m, 1h, 24h, 7d and 30d with their lengths', () => {
    expect(WINDOWS).toEqual(['1m', '1h', '24h', '7d', '30d']);
    expect(WINDOW_MS).toEqual([MINUTE, HOUR, DAY, 7 * DAY, 30 * DAY]);
  });
});

describe('EntityWindows', () => {
  it('counts the event itself in every window', () => {
    // Act
    const f = new EntityWindows(7 * DAY).observe(obs(T, 12_345, 'GB'));

    // Assess
    expect(f.windows).toEqual(WINDOWS.map(() => ({ count: 1, sum: 12_345, sumSq: 1.2345 ** 2, countries: 1 })));
    expect(f.previous).toBeUndefined();
  });

  it('excludes an event exactly one window length earlier: windows are (t - w, t]', () => {
    // Prepare
    const w = new EntityWindows(7 * DAY);
    w.observe(obs(T));

    // Act
    const atMinute = w.observe(obs(T + MINUTE));
    const atHour = w.observe(obs(T + MINUTE + HOUR));

    // Assess
    expect(counts(atMinute)).toEqual([1, 2, 2, 2, 2]);
    expect(counts(atHour)).toEqual([1, 1, 3, 3, 3]);
  });

  it('includes an event one millisecond inside the window', () => {
    // Prepare
    const w = new EntityWindows(7 * DAY);
    w.observe(obs(T));

    // Act
    const f = w.observe(obs(T + MINUTE - 1));

    // Assess
    expect(counts(f)).toEqual([2, 2, 2, 2, 2]);
  });

  it('counts every event sharing a timestamp', () => {
    // Prepare
    const w = new EntityWindows(7 * DAY);
    w.observe(obs(T, 1));
    w.observe(obs(T, 2));

    // Act
    const f = w.observe(obs(T, 4));

    // Assess
    expect(f.windows[0]).toMatchObject({ count: 3, sum: 7 });
    expect(f.previous).toEqual({ timestamp: T, country: undefined });
  });

  it('keeps sums exact in E4 and counts distinct countries, ignoring events without one', () => {
    // Prepare
    const w = new EntityWindows(7 * DAY);
    w.observe(obs(T, 100_000_000, 'GB'));
    w.observe(obs(T + SECOND, 100, 'FR'));
    w.observe(obs(T + 2 * SECOND, 1, undefined));

    // Act
    const f = w.observe(obs(T + 3 * SECOND, 1, 'GB'));

    // Assess
    expect(f.windows[0]).toMatchObject({ count: 4, sum: 100_000_102, countries: 2 });
  });

  it('drops a country from the count once its last event leaves the window', () => {
    // Prepare
    const w = new EntityWindows(7 * DAY);
    w.observe(obs(T, 1, 'FR'));
    w.observe(obs(T + 30 * SECOND, 1, 'GB'));

    // Act
    const f = w.observe(obs(T + MINUTE, 1, 'GB'));

    // Assess
    expect(f.windows[0]).toMatchObject({ count: 2, countries: 1 });
    expect(f.windows[1]).toMatchObject({ count: 3, countries: 2 });
  });

  it('gives a late event the features at its own time, without later events', () => {
    // Prepare
    const w = new EntityWindows(7 * DAY);
    w.observe(obs(T, 1, 'GB'));
    w.observe(obs(T + 2 * HOUR, 10, 'FR'));

    // Act
    const late = w.observe(obs(T + 30 * SECOND, 100, 'US'));

    // Assess
    expect(late.windows.map((x) => x.sum)).toEqual([101, 101, 101, 101, 101]);
    expect(counts(late)).toEqual([2, 2, 2, 2, 2]);
    expect(late.previous).toEqual({ timestamp: T, country: 'GB' });
  });

  it('includes a late event in the windows of later events', () => {
    // Prepare
    const w = new EntityWindows(7 * DAY);
    w.observe(obs(T, 1));
    w.observe(obs(T + 2 * HOUR, 10));
    w.observe(obs(T + 2 * HOUR - 30 * SECOND, 100));

    // Act
    const f = w.observe(obs(T + 2 * HOUR + 10 * SECOND, 1_000));

    // Assess
    expect(f.windows.map((x) => x.sum)).toEqual([1_110, 1_110, 1_111, 1_111, 1_111]);
    expect(f.previous).toEqual({ timestamp: T + 2 * HOUR, country: undefined });
  });

  it('takes as previous the last observed of several earlier events with the greatest time', () => {
    // Prepare
    const w = new EntityWindows(7 * DAY);
    w.observe(obs(T + MINUTE, 1, 'FR'));
    w.observe(obs(T, 1, 'GB'));
    w.observe(obs(T, 1, 'US'));
    w.observe(obs(T + HOUR, 1, 'DE'));

    // Act
    const late = w.observe(obs(T + 30 * SECOND, 1));

    // Assess
    expect(late.previous).toEqual({ timestamp: T, country: 'US' });
  });

  it('reports the newest event time seen, which a late event does not move back', () => {
    // Prepare
    const w = new EntityWindows(DAY);
    const before = w.latest;

    // Act
    w.observe(obs(T + HOUR));
    w.observe(obs(T));

    // Assess
    expect(before).toBe(Number.NEGATIVE_INFINITY);
    expect(w.latest).toBe(T + HOUR);
  });

  it('still answers for an event later than the allowed lateness', () => {
    // Prepare
    const w = new EntityWindows(HOUR);
    for (let i = 0; i < 100; i++) w.observe(obs(T + i * DAY));

    // Act
    const f = w.observe(obs(T, 5));

    // Assess: nothing retained is that old, so only the event itself is counted
    expect(f.windows[4]).toMatchObject({ count: 1, sum: 5 });
  });

  it('retains only the longest window plus the lateness', () => {
    // Prepare
    const w = new EntityWindows(DAY);

    // Act
    for (let i = 0; i < 24 * 90; i++) w.observe(obs(T + i * HOUR));

    // Assess: 31 days of hourly events, give or take the boundary
    expect(w.size).toBeGreaterThanOrEqual(31 * 24);
    expect(w.size).toBeLessThanOrEqual(31 * 24 + 2);
  });

  it.each([
    ['1 hour', HOUR],
    ['7 days', 7 * DAY],
  ])('matches the brute-force definition for events up to %s late', (_, lateness) => {
    const step = fc.oneof(
      { weight: 4, arbitrary: fc.constant(0) },
      { weight: 6, arbitrary: fc.integer({ min: 1, max: 2 * MINUTE }) },
      { weight: 3, arbitrary: fc.constantFrom(...WINDOW_MS, MINUTE - 1, MINUTE + 1, lateness) },
      { weight: 2, arbitrary: fc.integer({ min: 1, max: 3 * DAY }) },
      { weight: 1, arbitrary: fc.integer({ min: 30 * DAY, max: 45 * DAY }) },
    );
    const late = fc.oneof(
      { weight: 6, arbitrary: fc.constant(0) },
      { weight: 2, arbitrary: fc.constantFrom(...WINDOW_MS.filter((w) => w <= lateness), lateness) },
      { weight: 2, arbitrary: fc.integer({ min: 1, max: lateness }) },
    );
    const event = fc.record({
      step,
      late,
      amount: fc.oneof(fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 1, max: 1e12 })),
      country: fc.option(fc.constantFrom('GB', 'FR', 'US'), { nil: undefined }),
    });

    fc.assert(
      fc.property(fc.array(event, { minLength: 1, maxLength: 150 }), (events) => {
        // Prepare: the entity shares a small pool with a neighbour that is released and recreated
        // every 7 events, so blocks are split, merged and reused holding the neighbour's numbers.
        const pool = new BlockPool(7);
        const countries = new CountryCodes();
        const before = new EntityWindows(lateness, countries, pool);
        before.observe(obs(T - 3 * DAY, 777, 'FR'));
        before.release(); // its block, holding its numbers, is the next one handed out
        const w = new EntityWindows(lateness, countries, pool);
        let neighbour = new EntityWindows(lateness, countries, pool);
        const history: RefEvent[] = [];
        let clock = T;
        let newest = Number.NEGATIVE_INFINITY;

        for (const e of events) {
          clock += e.step;
          // late relative to the entity's newest event, never more than the allowed lateness
          const timestamp = Math.max(clock - e.late, newest - lateness);
          const o: RefEvent = { timestamp, amount: e.amount, country: e.country };
          history.push(o);
          newest = Math.max(newest, timestamp);

          // Act
          neighbour.observe({ ...o, amount: o.amount + 1 });
          if (history.length % 7 === 0) {
            neighbour.release();
            neighbour = new EntityWindows(lateness, countries, pool);
          }
          const actual = w.observe(o);

          // Assess
          const problem = featureMismatch(actual, referenceFeatures(history, history.length - 1), squareScale(history));
          expect(problem, `event ${history.length - 1} at ${timestamp - T}`).toBeUndefined();
        }
      }),
      { numRuns: 300 },
    );
  });

  it('stays exact for amounts and country codes too large to pack beside each other (property)', () => {
    // Amounts of 2^41 E4 and more, and country codes of 4,096 and more, are kept in a side table.
    const amount = fc.oneof(fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 2 ** 41 - 2, max: 2 ** 45 }));
    const event = fc.record({
      step: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 2 * DAY }), fc.integer({ min: 30 * DAY, max: 40 * DAY })),
      late: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 7 * DAY })),
      amount,
      country: fc.option(fc.constantFrom('GB', 'C4094', 'C4095', 'C4096', 'C5000'), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(event, { minLength: 1, maxLength: 120 }), (events) => {
        // Prepare: codes up to 5,000 taken, so 'C4096' and 'C5000' do not pack
        const countries = new CountryCodes();
        for (let i = 1; i <= 5000; i++) countries.code(`C${i}`);
        const w = new EntityWindows(7 * DAY, countries);
        const history: RefEvent[] = [];
        let clock = T;
        let newest = Number.NEGATIVE_INFINITY;
        for (const e of events) {
          clock += e.step;
          const timestamp = Math.max(clock - e.late, newest - 7 * DAY);
          newest = Math.max(newest, timestamp);
          const o: RefEvent = { timestamp, amount: e.amount, country: e.country };
          history.push(o);

          // Act
          const actual = w.observe(o);

          // Assess
          const problem = featureMismatch(actual, referenceFeatures(history, history.length - 1), squareScale(history));
          expect(problem, `event ${history.length - 1}`).toBeUndefined();
        }
      }),
      { numRuns: 200 },
    );
  });

  it('gives back the side-table room of unpacked events once they are dropped', () => {
    // Prepare: 100 days of hourly events, every amount too large to pack
    const table = new WindowTable(7 * DAY, new CountryCodes(), new BlockPool(12));
    const id = table.add();
    const out = new Float64Array(22);
    const headers = table.numbers;

    // Act
    for (let h = 0; h < 100 * 24; h++) table.observeInto(id, T + h * HOUR, 2 ** 42 + h, 0, out, 0);

    // Assess: room for the ~37 days retained (plus the dead prefix not yet compacted), not all 2,400
    // the last 30 days: hours 1,680 to 2,399, summed exactly
    expect(out[4 * 4 + 1]).toBe(720 * 2 ** 42 + ((1680 + 2399) * 720) / 2);
    const unpacked = (table.numbers - headers) / 3; // three numbers a slot: amount, country, time
    expect(unpacked).toBeGreaterThanOrEqual(table.size(id));
    expect(unpacked).toBeLessThanOrEqual(1.4 * 37 * 24);
  });
});
