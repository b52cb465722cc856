import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BlockPool } from '../../src/core/blockPool.js';
import { CountryCodes, EntityWindows, ENTITY_LAYOUT, WINDOW_MS, WindowTable } from '../../src/core/windows.js';
import { featureMismatch, type RefEvent, referenceFeatures, squareScale } from './windowsReference.js';

// Events are stored in 8 bytes: the time as 32 bits of milliseconds after a per-entity origin
// that follows the entity, and the amount in whole cents beside the country code. Whatever does
// not fit goes to a side table. These tests drive both paths, and the moves of the origin, over
// months of event time.

const T = Date.UTC(2024, 0, 1);
const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

describe('WindowTable events packed in 8 bytes', () => {
  it('matches the brute-force definition over months, packed or not (property)', () => {
    const amount = fc.oneof(
      { weight: 6, arbitrary: fc.integer({ min: 1, max: 500_000 }).map((c) => c * 100) },
      { weight: 1, arbitrary: fc.constantFrom((2 ** 23 - 1) * 100, 2 ** 23 * 100, 2 ** 23 * 100 + 100) },
      { weight: 1, arbitrary: fc.integer({ min: 1, max: 1_000_000 }) },
    );
    const event = fc.record({
      step: fc.oneof(
        { weight: 12, arbitrary: fc.integer({ min: 0, max: 2 * HOUR }) },
        { weight: 6, arbitrary: fc.integer({ min: 1, max: DAY }) },
        { weight: 2, arbitrary: fc.integer({ min: 5 * DAY, max: 20 * DAY }) },
        { weight: 1, arbitrary: fc.integer({ min: 30 * DAY, max: 60 * DAY }) },
        { weight: 2, arbitrary: fc.constantFrom(...WINDOW_MS) },
      ),
      late: fc.oneof(
        { weight: 8, arbitrary: fc.constant(0) },
        { weight: 2, arbitrary: fc.double({ min: 0, max: 1, noNaN: true }) },
        { weight: 1, arbitrary: fc.constantFrom(...WINDOW_MS) },
      ),
      half: fc.oneof({ weight: 9, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constant(0.5) }),
      amount,
      country: fc.option(fc.constantFrom('C1', 'C255', 'C256', 'C300'), { nil: undefined }),
    });
    const lateness = fc.constantFrom(HOUR, 7 * DAY, 30 * DAY, 40 * DAY);
    fc.assert(
      fc.property(lateness, fc.array(event, { minLength: 1, maxLength: 250 }), (latenessMs, events) => {
        // Prepare: codes up to 300 taken, so 'C256' and 'C300' do not pack; a neighbour in the
        // same small pool, so a write past the entity's block lands in it
        const countries = new CountryCodes();
        for (let i = 1; i <= 300; i++) countries.code(`C${i}`);
        const pool = new BlockPool(7, 3);
        const w = new EntityWindows(latenessMs, countries, pool);
        const neighbour = new EntityWindows(latenessMs, countries, pool);
        const history: RefEvent[] = [];
        const others: RefEvent[] = [];
        let clock = T;
        let newest = Number.NEGATIVE_INFINITY;

        for (const e of events) {
          clock += e.step;
          const late = e.late <= 1 ? Math.floor(e.late * latenessMs) : e.late;
          const timestamp = Math.max(clock - late, newest - latenessMs) + e.half;
          newest = Math.max(newest, timestamp);
          const o: RefEvent = { timestamp, amount: e.amount, country: e.country };
          history.push(o);
          const other: RefEvent = { timestamp: clock, amount: 100, country: 'C1' };
          others.push(other);

          // Act
          const actual = w.observe(o);
          const theirs = neighbour.observe(other);

          // Assess
          const problem = featureMismatch(actual, referenceFeatures(history, history.length - 1), squareScale(history));
          expect(problem, `event ${history.length - 1} at ${timestamp - T}`).toBeUndefined();
          expect(theirs.windows[4]?.sum).toBe(referenceFeatures(others, others.length - 1).windows[4]?.sum);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('keeps a steady entity packed for months: its origin moves instead of its events going to the side table', () => {
    // Prepare: 200 days of events every 20 minutes, amounts in whole cents, one country
    const table = new WindowTable(7 * DAY, new CountryCodes(), new BlockPool(12));
    const id = table.add();
    const gb = table.countries.code('GB');
    const out = new Float64Array(ENTITY_LAYOUT.size);
    const headers = table.numbers;
    const step = 20 * MINUTE;
    const n = (200 * DAY) / step;

    // Act
    for (let i = 0; i < n; i++) table.observeInto(id, T + i * step, (1 + (i % 1000)) * 100, gb, out, 0);

    // Assess: no side-table slot, and the last 30 days summed exactly
    expect(table.numbers).toBe(headers);
    const inMonth = (30 * DAY) / step;
    let sum = 0;
    for (let i = n - inMonth; i < n; i++) sum += (1 + (i % 1000)) * 100;
    expect(out[4 * ENTITY_LAYOUT.windowStride + ENTITY_LAYOUT.count]).toBe(inMonth);
    expect(out[4 * ENTITY_LAYOUT.windowStride + ENTITY_LAYOUT.sum]).toBe(sum);
    expect(out[ENTITY_LAYOUT.previousTime]).toBe(T + (n - 2) * step);
  });
});
