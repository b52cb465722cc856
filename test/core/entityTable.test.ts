import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeyIds } from '../../src/core/entityTable.js';

describe('KeyIds', () => {
  it('gives back the id each key was set to, and -1 for keys without one', () => {
    // Prepare
    const ids = new KeyIds(4);

    // Act
    for (let i = 0; i < 1000; i++) ids.set(`acct-${i}`, i);

    // Assess: grown well past its first capacity, every key still found
    expect(ids.size).toBe(1000);
    expect(ids.get('acct-0')).toBe(0);
    expect(ids.get('acct-999')).toBe(999);
    expect(ids.get('acct-1000')).toBe(-1);
    expect(ids.get('')).toBe(-1);
  });

  it('agrees with a Map under random sets and deletes of colliding keys (property)', () => {
    // Keys from a small alphabet, so probe runs are long and deletions shift entries back.
    const op = fc.record({ del: fc.boolean(), key: fc.string({ unit: fc.constantFrom('a', 'b', 'é', '\u{1F600}'), maxLength: 4 }) });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        // Prepare
        const ids = new KeyIds(2);
        const reference = new Map<string, number>();
        let next = 0;

        // Act
        for (const { del, key } of ops) {
          if (del) {
            expect(ids.delete(key)).toBe(reference.delete(key));
          } else if (!reference.has(key)) {
            reference.set(key, next);
            ids.set(key, next++);
          }
        }

        // Assess
        expect(ids.size).toBe(reference.size);
        for (const [key, id] of reference) expect(ids.get(key)).toBe(id);
        // A lookup by a hash computed apart finds the same, and reading ahead changes nothing.
        for (const { key } of ops) {
          ids.touch(KeyIds.hash(key));
          expect(ids.getHashed(key, KeyIds.hash(key))).toBe(reference.get(key) ?? -1);
        }
        expect(ids.size).toBe(reference.size);
        expect(new Map(ids.entries())).toEqual(reference);
        for (const { key } of ops) if (!reference.has(key)) expect(ids.get(key)).toBe(-1);
      }),
      { numRuns: 300 },
    );
  });

  it('forgets every key on clear()', () => {
    // Prepare
    const ids = new KeyIds();
    ids.set('a', 1);

    // Act
    ids.clear();

    // Assess
    expect(ids.size).toBe(0);
    expect(ids.get('a')).toBe(-1);
  });
});
