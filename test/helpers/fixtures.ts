import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Luhn-valid test card numbers (public test PANs). */
export const TEST_PANS = [
  '4111111111111111',
  '5555555555554444',
  '4000056655665556',
  '4242424242424242',
  '5105105105105100',
  '4012888888881881',
  '6011111111111117',
  '3530111333300000',
];

export const HEADER =
  'transaction_id,timestamp,account_id,card_number,amount,currency,merchant,terminal_id,country,origin_country,destination_country,account_balance';

/** Which rows of a scenario file were built to trigger which rule, and which are bad. */
export interface ScenarioFile {
  csv: string;
  rows: number;
  badRows: number[];
  /** rule id → transaction ids built to fire it */
  expected: Record<string, string[]>;
  pans: string[];
}

/**
 * A deterministic CSV with `rows` data rows: ordinary traffic plus rows built for high_value,
 * cross_border, low_balance_high_amount and velocity, and `bad` invalid rows at known positions.
 */
export function scenarioFile(rows: number, bad = 4, seed = 1): ScenarioFile {
  let s = seed >>> 0;
  const rand = (): number => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const lines: string[] = [HEADER];
  const expected: Record<string, string[]> = {
    high_value: [],
    cross_border: [],
    low_balance_high_amount: [],
    velocity: [],
  };
  const badRows: number[] = [];
  const badEvery = Math.floor(rows / (bad + 1));
  let t = Date.UTC(2026, 0, 1);
  let burstStart = t;
  for (let r = 1; r <= rows; r++) {
    const id = `R${String(r).padStart(7, '0')}`;
    t += 5_000 + Math.floor(rand() * 60_000);
    const account = `ACC${Math.floor(rand() * 500)}`;
    const pan = TEST_PANS[Math.floor(rand() * TEST_PANS.length)] as string;
    let amount = (5 + rand() * 200).toFixed(2);
    let origin = '';
    let dest = '';
    let balance = (2000 + rand() * 5000).toFixed(2);
    let rowAccount = account;
    let ts = t;
    if (bad > 0 && r % badEvery === 0 && badRows.length < bad) {
      badRows.push(r);
      const kind = badRows.length % 4;
      const badAmount = kind === 0 ? 'abc' : kind === 1 ? '-12.00' : '12.00';
      const badTs = kind === 2 ? 'not-a-date' : new Date(t).toISOString();
      const badAcct = kind === 3 ? '' : account;
      lines.push([id, badTs, badAcct, pan, badAmount, 'USD', 'Shop', 'T1', 'US', '', '', balance].join(','));
      continue;
    }
    const k = r % 97;
    if (k === 10) {
      amount = (10_000.01 + rand() * 5000).toFixed(2);
      expected.high_value?.push(id);
    } else if (k === 20) {
      origin = 'US';
      dest = 'GB';
      expected.cross_border?.push(id);
    } else if (k === 30) {
      amount = '3000.00';
      balance = '100.00';
      expected.low_balance_high_amount?.push(id);
    } else if (k >= 40 && k <= 44) {
      // five transactions 5 s apart on one account: the 4th and 5th exceed 3 a minute
      if (k === 40) burstStart = t;
      rowAccount = `VEL${Math.floor(r / 97)}`;
      ts = burstStart + (k - 40) * 5000;
      if (k >= 43) expected.velocity?.push(id);
    }
    lines.push(
      [
        id,
        new Date(ts).toISOString(),
        rowAccount,
        pan,
        amount,
        'USD',
        `M${Math.floor(rand() * 50)}`,
        `T${Math.floor(rand() * 80)}`,
        'US',
        origin,
        dest,
        balance,
      ].join(','),
    );
  }
  return { csv: `${lines.join('\n')}\n`, rows, badRows, expected, pans: TEST_PANS };
}

/** A fresh temporary directory and its cleanup. */
export function tempDir(prefix = 'fraudmini-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
