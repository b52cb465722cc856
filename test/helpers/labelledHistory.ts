import type { Label, Transaction } from '../../src/core/transaction.js';
import { seededRandom } from './random.js';
import { luhnComplete, makeTx } from './transactions.js';

const DAY = 86_400_000;

/** One generated transaction, before it becomes a CSV line or a {@link Transaction}. */
export interface LabelledRow {
  id: string;
  timestamp: number;
  account: string;
  pan: string;
  /** Decimal text with two places, e.g. `"42.10"`. */
  amount: string;
  merchant: string;
  terminal: string;
  /** Undefined for rows whose outcome is not known. */
  label: Label | undefined;
  /** Why the row is fraud (or a legit big purchase), for debugging tests. */
  kind: 'normal' | 'compromised_terminal' | 'high_amount' | 'big_purchase';
}

/** Options of {@link labelledHistory}. */
export interface LabelledHistoryOptions {
  /** @default 60 */
  days?: number;
  /** @default 70 */
  perDay?: number;
  /** @default 1 */
  seed?: number;
  /** Every n-th row (by position) has no label. @default 20 */
  unlabelledEvery?: number;
}

/** A generated labelled history. */
export interface LabelledHistory {
  rows: LabelledRow[];
  /** First midnight of the history (epoch ms). */
  start: number;
}

/** Terminals compromised for 14 days each, staggered so every period has some. */
const COMPROMISES: { terminal: number; fromDay: number }[] = [
  { terminal: 3, fromDay: 3 },
  { terminal: 11, fromDay: 10 },
  { terminal: 19, fromDay: 18 },
  { terminal: 27, fromDay: 26 },
  { terminal: 35, fromDay: 34 },
  { terminal: 7, fromDay: 41 },
  { terminal: 23, fromDay: 46 },
];

/**
 * A small deterministic card history with learnable fraud, after the scenarios of the Fraud
 * Detection Handbook: 150 accounts (one card each) spend around their own mean at 40 terminals;
 * a terminal that is compromised for 14 days turns 60% of its transactions into fraud; 1.2% of
 * other transactions are fraud at 5–9× the account's mean amount, and 0.4% are legit purchases
 * just as big. Rows are in time order.
 */
export function labelledHistory(options: LabelledHistoryOptions = {}): LabelledHistory {
  const days = options.days ?? 60;
  const perDay = options.perDay ?? 70;
  const unlabelledEvery = options.unlabelledEvery ?? 20;
  const rand = seededRandom(options.seed ?? 1);
  const start = Date.UTC(2024, 0, 1);
  const accounts = Array.from({ length: 150 }, (_, a) => ({
    id: `ACC${String(a).padStart(3, '0')}`,
    pan: luhnComplete(`400000${String(a).padStart(9, '0')}`),
    mean: 15 + rand() * 85,
  }));
  const draft: Omit<LabelledRow, 'id' | 'label'>[] = [];
  const labels: Label[] = [];
  for (let d = 0; d < days; d++) {
    for (let k = 0; k < perDay; k++) {
      const account = accounts[Math.floor(rand() * accounts.length)] as (typeof accounts)[number];
      const terminal = Math.floor(rand() * 40);
      const timestamp = start + d * DAY + Math.floor(rand() * DAY);
      const compromised = COMPROMISES.some((c) => c.terminal === terminal && d >= c.fromDay && d < c.fromDay + 14);
      const roll = rand();
      let kind: LabelledRow['kind'] = 'normal';
      let factor = 0.3 + rand() * 1.4;
      if (compromised && roll < 0.6) kind = 'compromised_terminal';
      else if (roll > 0.988) kind = 'high_amount';
      else if (roll > 0.984) kind = 'big_purchase';
      if (kind === 'high_amount' || kind === 'big_purchase') factor = 5 + rand() * 4;
      draft.push({
        timestamp,
        account: account.id,
        pan: account.pan,
        amount: Math.max(1, account.mean * factor).toFixed(2),
        merchant: `M${String(terminal % 12).padStart(2, '0')}`,
        terminal: `T${String(terminal).padStart(2, '0')}`,
        kind,
      });
      labels.push(kind === 'compromised_terminal' || kind === 'high_amount' ? 1 : 0);
    }
  }
  const order = draft.map((_, i) => i).sort((a, b) => (draft[a]?.timestamp ?? 0) - (draft[b]?.timestamp ?? 0));
  const rows = order.map((i, n): LabelledRow => {
    const r = draft[i] as Omit<LabelledRow, 'id' | 'label'>;
    const label = (n + 1) % unlabelledEvery === 0 ? undefined : labels[i];
    return { ...r, id: `H${String(n + 1).padStart(6, '0')}`, label };
  });
  return { rows, start };
}

/** The history as a CSV file (`is_fraud` empty where the label is unknown). */
export function labelledCsv(rows: readonly LabelledRow[]): string {
  const lines = ['transaction_id,timestamp,account_id,card_number,amount,currency,merchant,terminal_id,country,is_fraud'];
  for (const r of rows) {
    lines.push(
      [r.id, new Date(r.timestamp).toISOString(), r.account, r.pan, r.amount, 'EUR', r.merchant, r.terminal, 'FR', r.label ?? ''].join(
        ',',
      ),
    );
  }
  return `${lines.join('\n')}\n`;
}

/** A row as a {@link Transaction}, without tokenising (the card token is derived from the account). */
export function labelledTransaction(r: LabelledRow): Transaction {
  return makeTx({
    transactionId: r.id,
    timestamp: r.timestamp,
    accountId: r.account,
    card: { token: `tok-${r.account}`, masked: `${r.pan.slice(0, 6)}******${r.pan.slice(-4)}` },
    amount: Math.round(Number(r.amount) * 10_000),
    currency: 'EUR',
    merchant: r.merchant,
    terminalId: r.terminal,
    country: 'FR',
    label: r.label,
  });
}

/** Yields a string in chunks, as a file stream would. */
export async function* chunked(text: string, size = 64 * 1024): AsyncGenerator<string> {
  for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size);
}
