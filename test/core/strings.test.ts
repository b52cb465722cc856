import { describe, expect, it } from 'vitest';
import { detached } from '../../src/core/strings.js';

describe('detached', () => {
  it('returns the same characters for short, long and empty substrings', () => {
    // Prepare
    const line = `G42-000000001,2026-01-01T00:00:00Z,Kingsbridge US Transit,${'x'.repeat(1000)}`;

    // Act / Assess
    expect(detached(line.slice(0, 13))).toBe('G42-000000001');
    expect(detached(line.slice(35, 57))).toBe('Kingsbridge US Transit');
    expect(detached('')).toBe('');
    expect(detached('é€😀')).toBe('é€😀');
  });
});
