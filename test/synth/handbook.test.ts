import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HANDBOOK_HEADER, type HandbookOptions, handbookCsv, simulateHandbook } from '../../src/synth/handbook.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/fixtures.js';

// A small world: the same mechanics as the handbook's 5,000 × 10,000, in milliseconds.
const SMALL: Partial<HandbookOptions> = { customers: 300, terminals: 600, days: 40, radius: 10, seed: 3 };
const DAY = 86_400;

/** The bytes of a typed array, for a cheap exact comparison. */
const bytes = (a: ArrayBufferView): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe('simulateHandbook', () => {
  const t = simulateHandbook(SMALL);

  it('gives the same transactions for the same seed, and others for another seed', () => {
    // Act
    const again = simulateHandbook(SMALL);
    const other = simulateHandbook({ ...SMALL, seed: 4 });
    // Assess
    expect(again.length).toBe(t.length);
    for (const k of ['seconds', 'customer', 'terminal', 'cents', 'scenario'] as const) expect(bytes(again[k]).equals(bytes(t[k]))).toBe(true);
    expect(bytes(other.cents.subarray(0, 100)).equals(bytes(t.cents.subarray(0, 100)))).toBe(false);
  });

  it('keeps transactions in time order, inside the simulated days, with positive amounts', () => {
    // Assess
    expect(t.length).toBeGreaterThan(1000);
    const backwards = t.seconds.findIndex((s, i) => i > 0 && s < (t.seconds[i - 1] as number));
    expect(backwards).toBe(-1);
    expect(t.seconds[0]).toBeGreaterThan(0);
    expect(t.seconds[t.length - 1]).toBeLessThan((SMALL.days as number) * DAY);
    expect(Math.min(...t.cents)).toBeGreaterThan(0);
    expect(Math.max(...t.customer)).toBeLessThan(SMALL.customers as number);
    expect(Math.max(...t.terminal)).toBeLessThan(SMALL.terminals as number);
  });

  it('puts transactions around noon (normal times of day)', () => {
    // Act
    let sum = 0;
    for (const s of t.seconds) sum += s % DAY;
    // Assess: the mean time of day is noon within an hour (20,000 s spread, thousands of draws).
    expect(Math.abs(sum / t.length - DAY / 2)).toBeLessThan(3600);
  });

  it('labels every amount over 220 as fraud (scenario 1), or as a compromised customer multiplied by 5 (scenario 3)', () => {
    // Assess
    let large = 0;
    for (let i = 0; i < t.length; i++) {
      if ((t.cents[i] as number) > 22_000) {
        large++;
        expect(t.scenario[i]).toBeGreaterThan(0);
      }
    }
    expect(large).toBeGreaterThan(0);
  });

  it('makes every transaction of a compromised terminal on a compromised day fraud (scenario 2)', () => {
    // Prepare: terminal-days with a scenario-2 fraud.
    const compromised = new Set<string>();
    for (let i = 0; i < t.length; i++) {
      if (t.scenario[i] === 2) compromised.add(`${t.terminal[i]}/${Math.floor((t.seconds[i] as number) / DAY)}`);
    }
    // Assess
    expect(compromised.size).toBeGreaterThan(0);
    for (let i = 0; i < t.length; i++) {
      if (compromised.has(`${t.terminal[i]}/${Math.floor((t.seconds[i] as number) / DAY)}`)) expect(t.scenario[i]).toBeGreaterThan(0);
    }
  });

  it('multiplies the amounts of compromised customers by 5 and leaves about two thirds of their transactions genuine (scenario 3)', () => {
    // Prepare: each customer's first and last scenario-3 day.
    const span = new Map<number, [number, number]>();
    for (let i = 0; i < t.length; i++) {
      if (t.scenario[i] !== 3) continue;
      expect((t.cents[i] as number) % 5).toBe(0);
      const c = t.customer[i] as number;
      const d = Math.floor((t.seconds[i] as number) / DAY);
      const s = span.get(c);
      span.set(c, s ? [s[0], d] : [d, d]);
    }
    // Act: the customers' transactions inside those spans.
    let inSpan = 0;
    let fraud3 = 0;
    for (let i = 0; i < t.length; i++) {
      const s = span.get(t.customer[i] as number);
      const d = Math.floor((t.seconds[i] as number) / DAY);
      if (s && d >= s[0] && d <= s[1]) {
        inSpan++;
        if (t.scenario[i] === 3) fraud3++;
      }
    }
    // Assess
    expect(span.size).toBeGreaterThan(0);
    expect(fraud3 / inSpan).toBeGreaterThan(0.2);
    expect(fraud3 / inSpan).toBeLessThan(0.5);
  });
});

describe('handbookCsv', () => {
  it('yields the header, then one line per row asked for, in chunks that end with a newline', () => {
    // Prepare
    const t = simulateHandbook(SMALL);
    // Act
    const chunks = [...handbookCsv(t, '2018-04-01', 9000)];
    const text = chunks.join('');
    // Assess
    expect(chunks.length).toBeGreaterThan(2);
    for (const c of chunks) expect(c.endsWith('\n')).toBe(true);
    const rows = text.split('\n').slice(0, -1);
    expect(rows[0]).toBe(HANDBOOK_HEADER);
    expect(rows).toHaveLength(9001);
    expect(rows[9000]?.split(',')[0]).toBe('8999');
  });
});

describe('fraudmini generate --style handbook', () => {
  const tmp = tempDir('fraudmini-hbgen-');
  afterAll(() => tmp.cleanup());
  const flags = ['--style', 'handbook', '--customers', '200', '--terminals', '400', '--days', '20'];

  it('writes the simulation the library gives for the flags, the same bytes for the same seed, a summary on stderr', async () => {
    // Act
    const a = await runCli(['generate', ...flags, '--seed', '7', '--out', 'a.csv'], tmp.dir);
    const b = await runCli(['generate', ...flags, '--seed', '7', '--out', 'b.csv'], tmp.dir);
    const c = await runCli(['generate', ...flags, '--seed', '8', '--out', 'c.csv'], tmp.dir);
    // Assess
    expect([a.code, b.code, c.code]).toEqual([0, 0, 0]);
    const text = readFileSync(join(tmp.dir, 'a.csv'), 'utf8');
    const lib = [...handbookCsv(simulateHandbook({ customers: 200, terminals: 400, days: 20, seed: 7, start: '2018-04-01' }), '2018-04-01')].join('');
    expect(text).toBe(lib);
    expect(readFileSync(join(tmp.dir, 'b.csv'), 'utf8')).toBe(text);
    expect(readFileSync(join(tmp.dir, 'c.csv'), 'utf8')).not.toBe(text);
    const rows = text.split('\n').length - 2;
    expect(a.stderr).toContain(`a.csv: ${rows.toLocaleString('en-US')} rows`);
    expect(a.stderr).toMatch(/amount over 220 \d+, compromised terminal \d+, compromised customer \d+/);
  });

  it('documents the style in --help, and refuses --terminals without it and an unknown style', async () => {
    // Act
    const help = await runCli(['generate', '--help'], tmp.dir);
    const terminals = await runCli(['generate', '--terminals', '5', '--out', 'x.csv'], tmp.dir);
    const style = await runCli(['generate', '--style', 'paysim', '--out', 'x.csv'], tmp.dir);
    // Assess
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--style handbook');
    expect(help.stdout).toContain('TX_FRAUD_SCENARIO');
    expect(terminals.code).toBe(2);
    expect(terminals.stderr).toContain('--terminals goes with --style handbook');
    expect(style.code).toBe(2);
    expect(style.stderr).toContain('--style must be fraudmini or handbook');
  });
});
