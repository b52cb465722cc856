import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IdSet } from '../../src/core/idSet.js';

describe('IdSet', () => {
  it('adds an id once and reports it afterwards', () => {
    // Prepare
    const ids = new IdSet();

    // Act
    const first = ids.add('G42-000000001');
    const again = ids.add('G42-000000001');

    // Assess
    expect(first).toBe(true);
    expect(again).toBe(false);
    expect(ids.has('G42-000000001')).toBe(true);
    expect(ids.has('G42-000000002')).toBe(false);
    expect(ids.size).toBe(1);
  });

  it('agrees with a Set over many ids that are not numbered runs, across table growth and arena blocks', () => {
    // Prepare: 300k front-coded ids (a letter last: not numbered) span several 1 MiB arena
    // blocks and many rehashes.
    const ids = new IdSet(16);
    const n = 300_000;
    const id = (i: number): string => `G42-${String(i).padStart(9, '0')}x`;

    // Act
    for (let i = 0; i < n; i++) ids.add(id(i));

    // Assess
    expect(ids.size).toBe(n);
    for (let i = 0; i < n; i += 7) expect(ids.has(id(i))).toBe(true);
    // 200k absent ids: with 12 fingerprint bits, ~90 of them match a stored fingerprint on the
    // way and are told apart only by decoding the stored id.
    let present = 0;
    for (let i = n; i < n + 200_000; i++) if (ids.has(id(i))) present++;
    expect(present).toBe(0);
    expect(ids.has('G42-00000000x')).toBe(false);
    expect(ids.has('G42-0000000000x')).toBe(false);
    expect(ids.has('')).toBe(false);
  });

  it('agrees with a Set over numbered ids: every width, zeros kept, families apart, 15 digits and more', () => {
    // Prepare: the same numbers in several widths and families, beside ids they must not match
    const ids = new IdSet(16);
    const reference = new Set<string>();
    const values: string[] = [];
    for (let i = 0; i < 5000; i++) {
      values.push(String(i), String(i).padStart(6, '0'), `tx-${i}`, `tx-${String(i).padStart(4, '0')}`, `tx${i}`, `tX-${i}`);
    }
    values.push('999999999999999', '9999999999999999', '1000000000000000', '0', '00', '000000000000000', '0000000000000000');

    // Act / Assess: add() says "new" exactly when the Set did not have it, twice over
    for (const round of [1, 2]) {
      for (const v of values) {
        expect(ids.add(v), `${v} in round ${round}`).toBe(!reference.has(v));
        reference.add(v);
      }
    }
    expect(ids.size).toBe(reference.size);
    for (const absent of ['5000', '005000', 'tx-5000', 'tx-05000', 'tx5000', '-1', '1e3', '', 'tx-', '99999999999999', '0000000000000']) {
      expect(ids.has(absent), absent).toBe(reference.has(absent));
    }
  });

  it('stays exact when a family of numbers is too sparse for bits, and past the families it keeps', () => {
    // Prepare: numbers far apart in one family (it stops taking ids as bits), and 2,000 families
    const ids = new IdSet(16);
    const reference = new Set<string>();
    const values: string[] = [];
    for (let i = 0; i < 3000; i++) values.push(`card-${i * 1_000_003}`);
    for (let f = 0; f < 2000; f++) values.push(`f${f}x-1`, `f${f}x-22`);
    for (let i = 0; i < 3000; i += 3) values.push(`card-${i * 1_000_003}`);

    // Act / Assess
    for (const v of values) {
      expect(ids.add(v), v).toBe(!reference.has(v));
      reference.add(v);
    }
    expect(ids.size).toBe(reference.size);
    for (let i = 0; i < 3000; i++) {
      expect(ids.has(`card-${i * 1_000_003}`)).toBe(true);
      expect(ids.has(`card-${i * 1_000_003 + 1}`)).toBe(false);
    }
    for (let f = 0; f < 2000; f++) {
      expect(ids.has(`f${f}x-22`)).toBe(true);
      expect(ids.has(`f${f}x-2`)).toBe(false);
    }
  });

  it('is exact for arbitrary strings: the empty id, prefixes, non-ASCII and lone surrogates', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary', maxLength: 40 }), { maxLength: 300 }), (values) => {
        // Prepare
        const ids = new IdSet(16);
        const reference = new Set<string>();

        // Act / Assess: add() says "new" exactly when the Set did not have it.
        for (const v of values) {
          expect(ids.add(v)).toBe(!reference.has(v));
          reference.add(v);
        }
        expect(ids.size).toBe(reference.size);
        for (const v of values) {
          expect(ids.has(v)).toBe(true);
          expect(ids.has(`${v}\u0000`)).toBe(reference.has(`${v}\u0000`));
        }
      }),
    );
  });

  it('holds long ids whose characters need multi-byte codes', () => {
    // Prepare
    const ids = new IdSet();
    const long = `€${'x'.repeat(5000)}\uffff`;

    // Act
    ids.add(long);

    // Assess
    expect(ids.has(long)).toBe(true);
    expect(ids.has(long.slice(0, -1))).toBe(false);
  });
});
