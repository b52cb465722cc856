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

  it('agrees with a Set over many numbered ids, across table growth and arena blocks', () => {
    // Prepare: 300k front-coded ids span several 1 MiB arena blocks and many rehashes.
    const ids = new IdSet(16);
    const n = 300_000;

    // Act
    for (let i = 0; i < n; i++) ids.add(`G42-${String(i).padStart(9, '0')}`);

    // Assess
    expect(ids.size).toBe(n);
    for (let i = 0; i < n; i += 7) expect(ids.has(`G42-${String(i).padStart(9, '0')}`)).toBe(true);
    // 200k absent ids: with 12 fingerprint bits, ~90 of them match a stored fingerprint on the
    // way and are told apart only by decoding the stored id.
    let present = 0;
    for (let i = n; i < n + 200_000; i++) if (ids.has(`G42-${String(i).padStart(9, '0')}`)) present++;
    expect(present).toBe(0);
    expect(ids.has('G42-00000000')).toBe(false);
    expect(ids.has('G42-0000000000')).toBe(false);
    expect(ids.has('')).toBe(false);
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
