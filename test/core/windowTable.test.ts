import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BlockPool } from '../../src/core/blockPool.js';
import { CountryCodes, ENTITY_LAYOUT, entityFeaturesAt, WindowTable } from '../../src/core/windows.js';
import { featureMismatch, type RefEvent, referenceFeatures, squareScale } from './windowsReference.js';

// The table as the feature store uses it: many entities side by side, their events interleaved,
// some released and their ids handed out again. Each entity must see only its own events.

const T = Date.UTC(2024, 0, 1);
const MINUTE = 60_000;
const DAY = 86_400_000;

describe('WindowTable with many entities', () => {
  it('gives each of many interleaved entities the features of its own events only (property)', () => {
    const event = fc.record({
      // a few busy neighbours (adjacent ids) among many quiet entities
      entity: fc.oneof({ weight: 4, arbitrary: fc.nat(3) }, { weight: 1, arbitrary: fc.nat(79) }),
      step: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 2 * MINUTE }), fc.integer({ min: 1, max: 2 * DAY })),
      late: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: DAY })),
      amount: fc.oneof(fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 2 ** 41, max: 2 ** 42 })),
      country: fc.option(fc.constantFrom('GB', 'FR', 'US'), { nil: undefined }),
      release: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(event, { minLength: 1, maxLength: 300 }), (events) => {
        // Prepare: 80 entities (more than the table's first header rows hold), one shared pool
        const table = new WindowTable(DAY, new CountryCodes(), new BlockPool(7));
        const ids: number[] = [];
        const histories: RefEvent[][] = [];
        const newest: number[] = [];
        for (let e = 0; e < 80; e++) {
          ids.push(table.add());
          histories.push([]);
          newest.push(Number.NEGATIVE_INFINITY);
        }
        const out = new Float64Array(2 * ENTITY_LAYOUT.size);
        let clock = T;

        for (const [n, e] of events.entries()) {
          clock += e.step;
          const history = histories[e.entity] as RefEvent[];
          const timestamp = Math.max(clock - e.late, (newest[e.entity] as number) - DAY);
          newest[e.entity] = Math.max(newest[e.entity] as number, timestamp);
          const o: RefEvent = { timestamp, amount: e.amount, country: e.country };
          history.push(o);
          const id = ids[e.entity] as number;

          // Act: the features land at the second slot of `out`, the first left untouched
          out.fill(-1);
          table.observeInto(id, timestamp, o.amount, table.countries.code(o.country), out, ENTITY_LAYOUT.size);

          // Assess
          const actual = entityFeaturesAt(out, ENTITY_LAYOUT.size, table.countries.names);
          const problem = featureMismatch(actual, referenceFeatures(history, history.length - 1), squareScale(history));
          expect(problem, `event ${n} of entity ${e.entity}`).toBeUndefined();
          expect(out.subarray(0, ENTITY_LAYOUT.size).every((v) => v === -1)).toBe(true);
          expect(table.latest(id)).toBe(newest[e.entity]);
          expect(table.size(id)).toBeGreaterThanOrEqual(1);

          // Prepare the next step: sometimes the entity is released and a new one takes an id
          if (e.release) {
            table.release(id);
            ids[e.entity] = table.add();
            histories[e.entity] = [];
            newest[e.entity] = Number.NEGATIVE_INFINITY;
            expect(table.size(ids[e.entity] as number)).toBe(0);
            expect(table.latest(ids[e.entity] as number)).toBe(Number.NEGATIVE_INFINITY);
          }
        }
      }),
      { numRuns: 60 },
    );
  });

  it('keeps neighbours exact through new countries in a full block, stale countries, compaction and shrinking', () => {
    // Prepare: six adjacent entities in small chunks of one pool. Cycles of a burst (events
    // seconds apart, a new country often, some amounts in the side table) and then a quiet month
    // and more (countries go stale, blocks compact and shrink), on entities side by side, so a
    // write past one entity's block or header lands in its neighbour's.
    const table = new WindowTable(DAY, new CountryCodes(), new BlockPool(7));
    const names = ['GB', 'FR', 'US', 'DE', 'ES', 'IT', 'NL', 'PT', undefined];
    const ids = Array.from({ length: 6 }, () => table.add());
    const histories: RefEvent[][] = ids.map(() => []);
    const newest = ids.map(() => Number.NEGATIVE_INFINITY);
    const out = new Float64Array(ENTITY_LAYOUT.size);
    let seed = 11;
    const rand = (n: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return Math.floor((seed / 2 ** 31) * n);
    };
    let clock = T;
    let n = 0;
    const observe = (entity: number, late: number): void => {
      const history = histories[entity] as RefEvent[];
      const timestamp = Math.max(clock - late, (newest[entity] as number) - DAY);
      newest[entity] = Math.max(newest[entity] as number, timestamp);
      const amount = rand(3) === 0 ? 2 ** 41 + rand(1000) : 1 + rand(1_000_000);
      const o: RefEvent = { timestamp, amount, country: names[rand(names.length)] };
      history.push(o);
      table.observeInto(ids[entity] as number, timestamp, amount, table.countries.code(o.country), out, 0);
      const problem = featureMismatch(entityFeaturesAt(out, 0, table.countries.names), referenceFeatures(history, history.length - 1), squareScale(history));
      expect(problem, `event ${n} of entity ${entity}`).toBeUndefined();
      for (const [e, id] of ids.entries()) expect(table.latest(id), `latest of entity ${e} after event ${n}`).toBe(newest[e]);
      n++;
    };

    // Act / Assess: every event's features against the reference, every entity's newest time after it
    for (let cycle = 0; cycle < 6; cycle++) {
      // a burst on all six, interleaved, sometimes up to a minute late
      for (let i = 0; i < 150; i++) {
        clock += rand(20_000);
        observe(rand(6), rand(4) === 0 ? rand(MINUTE) : 0);
      }
      // a month and more of quiet, then a few events each, one entity at a time
      clock += 31 * DAY + rand(10 * DAY);
      // one entity is released (its side-table slots freed) and its id handed out again
      const gone = rand(6);
      table.release(ids[gone] as number);
      ids[gone] = table.add();
      histories[gone] = [];
      newest[gone] = Number.NEGATIVE_INFINITY;
      for (let e = 0; e < 6; e++) {
        for (let i = 0; i < 3; i++) {
          clock += rand(2 * MINUTE);
          observe(e, 0);
        }
      }
    }
  });

  it('keeps a neighbour exact when a new country arrives as an event fills the block', () => {
    // Prepare: eight entities in lockstep, so their blocks grow at the same steps and lie side by
    // side: one event in GB, five more there, then one in FR, the one that fills the block as it
    // adds a country entry
    const table = new WindowTable(DAY, new CountryCodes(), new BlockPool(7));
    const ids = Array.from({ length: 8 }, () => table.add());
    const histories: RefEvent[][] = ids.map(() => []);
    const out = new Float64Array(ENTITY_LAYOUT.size);
    const rounds = ['GB', 'GB', 'GB', 'GB', 'GB', 'GB', 'FR', 'DE', 'ES'];

    // Act / Assess: every event's features against the reference
    for (const [round, country] of rounds.entries()) {
      for (const [e, id] of ids.entries()) {
        const history = histories[e] as RefEvent[];
        const o: RefEvent = { timestamp: T + round * MINUTE + e, amount: 100 + e, country };
        history.push(o);
        table.observeInto(id, o.timestamp, o.amount, table.countries.code(country), out, 0);
        const problem = featureMismatch(entityFeaturesAt(out, 0, table.countries.names), referenceFeatures(history, history.length - 1), squareScale(history));
        expect(problem, `round ${round}, entity ${e}`).toBeUndefined();
      }
    }
  });

  it('keeps a neighbour exact when a late event arrives in a block that appends filled exactly', () => {
    // Prepare: A's block full to its last number (16 events of no country, two numbers each), B's
    // block next to it with one event
    const table = new WindowTable(DAY, new CountryCodes(), new BlockPool(7));
    const a = table.add();
    const b = table.add();
    const out = new Float64Array(ENTITY_LAYOUT.size);
    const histories: [RefEvent[], RefEvent[]] = [[], []];
    const observe = (e: 0 | 1, timestamp: number, amount: number): void => {
      const history = histories[e];
      history.push({ timestamp, amount, country: undefined });
      history.sort((x, y) => x.timestamp - y.timestamp);
      table.observeInto(e === 0 ? a : b, timestamp, amount, 0, out, 0);
      const at = history.findIndex((x) => x.timestamp === timestamp);
      const problem = featureMismatch(entityFeaturesAt(out, 0, table.countries.names), referenceFeatures(history, at), squareScale(history));
      expect(problem, `entity ${e} at ${timestamp}`).toBeUndefined();
    };
    for (let i = 0; i < 16; i++) observe(0, T + i * MINUTE, 100 + i);
    observe(1, T, 7);

    // Act / Assess: a late event for A needs room its full block does not have
    observe(0, T + 15 * MINUTE - 1, 1_000);
    observe(0, T + 16 * MINUTE, 5);
    // B's next event reads its first one back (previous event, and the hour window it leaves)
    observe(1, T + 2 * 60 * MINUTE, 11);
  });

  it("frees a released entity's side-table slots, not those of the block before it", () => {
    // Prepare: entity A's block is full, its last number an amount in the side table; entity B's
    // block comes next, with no country entries, so its events start where A's block ends
    const table = new WindowTable(DAY, new CountryCodes(), new BlockPool(7));
    const a = table.add();
    const b = table.add();
    const out = new Float64Array(ENTITY_LAYOUT.size);
    const wide = 2 ** 42;
    // (a block holds 32 numbers, two per event)
    for (let i = 0; i < 15; i++) table.observeInto(a, T + i * MINUTE, 100, 0, out, 0);
    table.observeInto(a, T + 15 * MINUTE, wide, 0, out, 0);
    table.observeInto(b, T, 100, 0, out, 0);

    // Act: B is released, and a new entity takes a side-table slot
    table.release(b);
    const c = table.add();
    table.observeInto(c, T + 16 * MINUTE, wide + 1, 0, out, 0);
    table.observeInto(a, T + 16 * MINUTE, 100, 0, out, 0);

    // Assess: A's sums still hold its own amounts, the side-table one leaving its minute included
    const f = entityFeaturesAt(out, 0, table.countries.names);
    expect(f.windows[0]?.sum).toBe(100);
    expect(f.windows[1]?.sum).toBe(16 * 100 + wide);
  });

  it('counts retained events, not the country entries beside them', () => {
    // Prepare
    const table = new WindowTable(DAY, new CountryCodes(), new BlockPool(7));
    const id = table.add();
    const out = new Float64Array(ENTITY_LAYOUT.size);

    // Act: three events, each in a country of its own
    for (const [i, name] of ['GB', 'FR', 'US'].entries()) table.observeInto(id, T + i * MINUTE, 100, table.countries.code(name), out, 0);

    // Assess
    expect(table.size(id)).toBe(3);
  });

  it('keeps the country of an event whose amount is exactly where packing beside the country stops', () => {
    // Prepare: 2^41 E4 and more go to the side table; packed, 2^41 × 4096 + an odd code is not a double
    const table = new WindowTable(DAY, new CountryCodes(), new BlockPool(7));
    const id = table.add();
    const out = new Float64Array(ENTITY_LAYOUT.size);
    const gb = table.countries.code('GB');

    // Act
    table.observeInto(id, T, 2 ** 41, gb, out, 0);
    table.observeInto(id, T + MINUTE, 1, 0, out, 0);

    // Assess
    const f = entityFeaturesAt(out, 0, table.countries.names);
    expect(gb % 2).toBe(1);
    expect(f.previous).toEqual({ timestamp: T, country: 'GB' });
    expect(f.windows[1]?.sum).toBe(2 ** 41 + 1);
  });

  it('keeps a steady entity in a block little larger than its retained events', () => {
    // Prepare: hourly events for 90 days, so about 37 days (the longest window and the lateness) are retained
    const pool = new BlockPool(12);
    const table = new WindowTable(7 * DAY, new CountryCodes(), pool);
    const id = table.add();
    const out = new Float64Array(ENTITY_LAYOUT.size);

    // Act
    for (let i = 0; i < 90 * 24; i++) table.observeInto(id, T + i * 60 * MINUTE, 10_000, 0, out, 0);

    // Assess: the block is under 1.5 times the events it holds (one number each), not double or more
    const held = pool.capacity - pool.freeNumbers;
    expect(table.size(id)).toBeGreaterThanOrEqual(37 * 24);
    expect(held).toBeLessThan(1.5 * table.size(id));
  });

  it('hands out the id of a released entity again, and new ids after the last', () => {
    // Prepare
    const table = new WindowTable(DAY, new CountryCodes(), new BlockPool(7));
    const first = [table.add(), table.add(), table.add()];

    // Act
    table.release(first[1] as number);
    const again = table.add();
    const next = table.add();

    // Assess
    expect(first).toEqual([0, 1, 2]);
    expect(again).toBe(1);
    expect(next).toBe(3);
  });
});
