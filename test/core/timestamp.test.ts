import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IsoTimeFormatter, parseTimestamp } from '../../src/core/timestamp.js';

function ms(raw: string): number {
  const p = parseTimestamp(raw);
  if (!p.ok) throw new Error(`expected ${JSON.stringify(raw)} to parse, got: ${p.reason}`);
  return p.value;
}

function reason(raw: string): string {
  const p = parseTimestamp(raw);
  if (p.ok) throw new Error(`expected ${JSON.stringify(raw)} to be rejected, got ${new Date(p.value).toISOString()}`);
  return p.reason;
}

const NOON_UTC = Date.UTC(2024, 2, 1, 12, 0, 0);

describe('parseTimestamp: ISO 8601', () => {
  it.each([
    ['2024-03-01T12:00:00Z', NOON_UTC],
    ['2024-03-01T12:00:00z', NOON_UTC],
    ['2024-03-01T12:00:00', NOON_UTC],
    ['2024-03-01 12:00:00', NOON_UTC],
    ['2024-03-01T12:00', NOON_UTC],
    ['  2024-03-01T12:00:00Z  ', NOON_UTC],
  ])('reads %j as UTC', (raw, expected) => {
    expect(ms(raw)).toBe(expected);
  });

  it.each([
    ['2024-03-01T12:00:00+01:00', Date.UTC(2024, 2, 1, 11, 0)],
    ['2024-03-01T12:00:00+0100', Date.UTC(2024, 2, 1, 11, 0)],
    ['2024-03-01T12:00:00+01', Date.UTC(2024, 2, 1, 11, 0)],
    ['2024-03-01T12:00:00-0530', Date.UTC(2024, 2, 1, 17, 30)],
    ['2024-03-01T12:00:00-05:30', Date.UTC(2024, 2, 1, 17, 30)],
    ['2024-03-01 12:00:00 +01:00', Date.UTC(2024, 2, 1, 11, 0)],
    ['2024-03-01T00:30:00+01:00', Date.UTC(2024, 1, 29, 23, 30)],
  ])('applies the offset in %j', (raw, expected) => {
    expect(ms(raw)).toBe(expected);
  });

  it('matches the documented example', () => {
    expect(ms('2024-03-01T12:00:00+01:00')).toBe(1709290800000);
  });

  it('reads a date alone as midnight UTC', () => {
    expect(ms('2024-03-01')).toBe(Date.UTC(2024, 2, 1));
  });

  it.each([
    ['2024-03-01T12:00:00.5Z', 500],
    ['2024-03-01T12:00:00.05Z', 50],
    ['2024-03-01T12:00:00.123Z', 123],
    ['2024-03-01T12:00:00,25Z', 250],
    ['2024-03-01T12:00:00.123456789Z', 123],
    ['2024-03-01T12:00:00.999999999Z', 999],
  ])('keeps fractional seconds to the millisecond (truncating) in %j', (raw, extra) => {
    expect(ms(raw)).toBe(NOON_UTC + extra);
  });

  it('reads every 3-digit millisecond fraction exactly', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 999 }), fc.integer({ min: 0, max: 6 }), (millis, zeros) => {
        // Prepare
        const raw = `2024-03-01T12:00:00.${String(millis).padStart(3, '0')}${'0'.repeat(zeros)}Z`;

        // Act / Assess
        expect(ms(raw)).toBe(NOON_UTC + millis);
      }),
    );
  });

  it('agrees with Date.parse on canonical ISO strings across the supported range', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Date.UTC(2199, 11, 31, 23, 59, 59, 999) }), (t) => {
        expect(ms(new Date(t).toISOString())).toBe(t);
      }),
    );
  });

  it.each([
    '2024-02-30',
    '2023-02-29',
    '2024-04-31',
    '2024-13-01',
    '2024-00-10',
    '2024-03-00',
    '2024-03-01T24:00:00',
    '2024-03-01T12:60:00',
    '2024-03-01T12:00:60',
  ])('rejects the impossible date or time %j', (raw) => {
    expect(reason(raw)).toContain('is not a valid date and time');
  });

  it('accepts 29 February in a leap year', () => {
    expect(ms('2024-02-29')).toBe(Date.UTC(2024, 1, 29));
  });

  it.each([
    '2024/03/01',
    '2024-3-1',
    '01-03-2024',
    'yesterday',
    '2024-03-01T12',
    '2024-03-01T12:00:00 UTC',
    '2024-03-01T12:00:00+1',
    '-1',
  ])('rejects %j as not a timestamp', (raw) => {
    expect(reason(raw)).toContain('is not an ISO 8601 time or epoch seconds/milliseconds');
  });

  it('rejects empty input', () => {
    expect(reason('')).toBe('is empty');
    expect(reason('  ')).toBe('is empty');
  });

  it.each(['1969-12-31T23:59:59Z', '1970-01-01T00:30:00+01:00', '2200-01-01T00:00:00Z', '9999-12-31'])(
    'rejects %j as out of range',
    (raw) => {
      expect(reason(raw)).toContain('is outside 1970–2199');
    },
  );

  it('accepts both ends of the range', () => {
    expect(ms('1970-01-01T00:00:00Z')).toBe(0);
    expect(ms('2199-12-31T23:59:59.999Z')).toBe(Date.UTC(2200, 0, 1) - 1);
  });
});

describe('parseTimestamp: epoch numbers', () => {
  it('reads numbers below 1e11 as seconds', () => {
    expect(ms('1709294400')).toBe(1_709_294_400_000);
    expect(ms('1709294400.5')).toBe(1_709_294_400_500);
    expect(ms('100000000')).toBe(100_000_000_000);
  });

  it.each(['0', '2024', '20240301', '99999999'])('rejects %s: too small to be an epoch, likely a date without separators', (raw) => {
    // Act
    const result = parseTimestamp(raw);

    // Assess
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.reason).toContain('too small for epoch seconds');
  });

  it.each(['2024-03-01T10:00:00+99:99', '2024-03-01T10:00:00+15:00', '2024-03-01T10:00:00-05:60'])(
    'rejects the impossible UTC offset in %s',
    (raw) => {
      // Act
      const result = parseTimestamp(raw);

      // Assess
      expect(result.ok ? '' : result.reason).toContain('invalid UTC offset');
    },
  );

  it('reads numbers from 1e11 as milliseconds', () => {
    expect(ms('1709294400000')).toBe(1_709_294_400_000);
    expect(ms('100000000000')).toBe(100_000_000_000);
  });

  it('puts the boundary at exactly 1e11: one less is seconds (year 5138, out of range)', () => {
    // Act
    const justBelow = parseTimestamp('99999999999');
    const atLimit = parseTimestamp('100000000000');

    // Assess
    expect(justBelow.ok).toBe(false);
    expect(justBelow.ok ? '' : justBelow.reason).toContain('is outside 1970–2199');
    expect(atLimit).toEqual({ ok: true, value: 1e11 });
  });

  it('rejects epoch milliseconds beyond 2199', () => {
    expect(reason(String(Date.UTC(2200, 0, 1)))).toContain('is outside 1970–2199');
  });
});

describe('parseTimestamp fast path', () => {
  it('agrees with Date.parse on every day of leap and common years, and refuses impossible dates', () => {
    // Prepare
    const days: string[] = [];
    for (const year of [1970, 2000, 2024, 2100, 2199]) {
      for (let t = Date.UTC(year, 0, 1); t < Date.UTC(year + 1, 0, 1); t += 86_400_000 + 3_661_000) {
        days.push(new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z'));
      }
    }

    // Act / Assess
    for (const d of days) expect(parseTimestamp(d)).toEqual({ ok: true, value: Date.parse(d) });
    expect(parseTimestamp('2100-02-29T00:00:00Z')).toEqual({
      ok: false,
      reason: '"2100-02-29T00:00:00Z" is not a valid date and time',
    });
    expect(parseTimestamp('2200-01-01T00:00:00Z')).toEqual({
      ok: false,
      reason: '"2200-01-01T00:00:00Z" is outside 1970–2199',
    });
    expect(parseTimestamp('1969-12-31T23:59:59Z')).toMatchObject({ ok: false });
    expect(parseTimestamp('2024-01-01T24:00:00Z')).toMatchObject({ ok: false });
    expect(parseTimestamp('2024-01-01T0a:00:00Z')).toMatchObject({ ok: false });
  });

  it('reads the zone-less shapes with a space or a T as UTC, and refuses their impossible dates with the same reasons', () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(1970, 0, 1), max: Date.UTC(2199, 11, 31, 23, 59, 59) }), fc.constantFrom(' ', 'T'), (ms, sep) => {
        // Prepare: a time to the second, written as a spreadsheet or a notebook writes it.
        const t = Math.floor(ms / 1000) * 1000;
        const text = new Date(t).toISOString().slice(0, 19).replace('T', sep);
        // Act / Assess
        expect(parseTimestamp(text)).toEqual({ ok: true, value: t });
      }),
    );
    expect(parseTimestamp('2018-04-01 00:00:31')).toEqual({ ok: true, value: Date.UTC(2018, 3, 1, 0, 0, 31) });
    expect(parseTimestamp('2100-02-29 00:00:00')).toEqual({ ok: false, reason: '"2100-02-29 00:00:00" is not a valid date and time' });
    expect(parseTimestamp('2024-01-01 24:00:00')).toMatchObject({ ok: false });
    expect(parseTimestamp('2024-01-01_12:00:00')).toMatchObject({ ok: false });
    expect(parseTimestamp('2024-01-01 12:00:00+02:00')).toEqual({ ok: true, value: Date.UTC(2024, 0, 1, 10) });
  });

  it('reads milliseconds as Date#toISOString writes them, zone-less too, as the general path does', () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(1970, 0, 1), max: Date.UTC(2199, 11, 31, 23, 59, 59, 999) }), fc.constantFrom(' ', 'T'), (t, sep) => {
        // Prepare
        const iso = new Date(t).toISOString();
        const zoneless = iso.slice(0, 23).replace('T', sep);
        // An offset of zero sends the same time through the general path.
        const general = parseTimestamp(`${iso.slice(0, 23)}+00:00`);

        // Act / Assess
        expect(general).toEqual({ ok: true, value: t });
        expect(parseTimestamp(iso)).toEqual(general);
        expect(parseTimestamp(zoneless)).toEqual(general);
      }),
    );
    expect(parseTimestamp('2100-02-29T00:00:00.000Z')).toEqual({ ok: false, reason: '"2100-02-29T00:00:00.000Z" is not a valid date and time' });
    expect(parseTimestamp('2200-01-01T00:00:00.000Z')).toEqual({ ok: false, reason: '"2200-01-01T00:00:00.000Z" is outside 1970–2199' });
    expect(parseTimestamp('2024-01-01T12:00:00.1a3Z')).toMatchObject({ ok: false });
    expect(parseTimestamp('2024-01-01T12:00:00-123Z')).toMatchObject({ ok: false });
    expect(parseTimestamp('2024-01-01T12:00:00,123Z')).toEqual({ ok: true, value: Date.UTC(2024, 0, 1, 12, 0, 0, 123) });
  });
});

describe('IsoTimeFormatter', () => {
  it('formats exactly as Date#toISOString, in and out of order and outside its fast range', () => {
    // Prepare
    const formatter = new IsoTimeFormatter();
    const times = [0, 1, 999, 59_999, 86_399_999, 86_400_000, Date.UTC(2024, 1, 29, 23, 59, 59, 7), Date.UTC(2199, 11, 31, 23, 59, 59, 999), Date.UTC(2200, 0, 1), -1, 1.5];
    for (let i = 0; i < 2000; i++) times.push((i * 2_654_435_761 * 1009) % Date.UTC(2200, 0, 1));

    // Act / Assess
    for (const t of times) expect(formatter.format(t)).toBe(new Date(t).toISOString());
  });

  it('writes as bytes exactly what it formats, after other bytes and outside its fast range', () => {
    // Prepare
    const formatter = new IsoTimeFormatter();
    const times = [0, 999, 86_400_000, Date.UTC(2024, 1, 29, 23, 59, 59, 7), Date.UTC(2200, 0, 1), Date.UTC(1969, 11, 31, 23, 59, 59, 1), 8.64e15, 1.5];
    for (let i = 0; i < 2000; i++) times.push((i * 2_654_435_761 * 1009) % Date.UTC(2200, 0, 1));
    const out = new Uint8Array(64);

    // Act / Assess
    for (const t of times) {
      const end = formatter.write(t, out, 3);
      expect(Buffer.from(out.subarray(3, end)).toString('latin1')).toBe(new Date(t).toISOString());
    }
  });
});
