import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { compileRuleSet, evaluate } from '../../src/core/rules.js';
import { validateObject } from '../../src/core/schema.js';
import type { Transaction } from '../../src/core/transaction.js';
import { ingestCsv } from '../../src/pipeline/ingest.js';
import { firstSeen, testTokenizer } from '../helpers/transactions.js';

// Money literals in rules against money read from input. Each literal here has no exact binary
// floating-point form (0.07 × 10,000 is 700.0000000000001), so a literal read as
// `Number(text) × 10,000` instead of the exact decimal parse fails to equal the same amount read
// from a CSV or a JSON body. Literals that happen to convert exactly (0.3, 10000.5) cannot tell.
const LITERALS = ['0.07', '19.99', '0.29', '1.005', '10000.0001'] as const;

/** Rules that must all fire when the amount equals `L`, and rules that must not. */
function rulesFor(literal: string) {
  const fire = {
    eq: `amount == ${literal}`,
    ge: `amount >= ${literal}`,
    le: `amount <= ${literal}`,
    in_tuple: `amount in (1, ${literal})`,
    difference: `amount - ${literal} == 0`,
    sum: `amount + ${literal} == 2 * ${literal}`,
    scaled: `amount * 2 == ${literal} * 2`,
    divided: `amount / 1 == ${literal}`,
    flipped: `${literal} == amount`,
    mod: `amount % ${literal} == 0`,
  };
  const silent = {
    ne: `amount != ${literal}`,
    lt: `amount < ${literal}`,
    gt: `amount > ${literal}`,
    not_in: `amount not in (1, ${literal})`,
  };
  const rules = [...Object.entries(fire), ...Object.entries(silent)].map(([id, when]) => ({ id, when, weight: 10 }));
  return { set: compileRuleSet({ version: 'money', rules }), fire: Object.keys(fire), silent: Object.keys(silent) };
}

/** The transactions a CSV with one row per amount becomes. */
async function fromCsv(amounts: readonly string[]): Promise<Transaction[]> {
  const csv =
    'transaction_id,timestamp,account_id,amount\n' +
    amounts.map((a, i) => `C${i},2026-01-01T00:00:${String(i).padStart(2, '0')}Z,acc,${a}`).join('\n');
  const out: Transaction[] = [];
  for await (const batch of ingestCsv(Readable.from([csv]), { fileKey: 'money.csv', tokenizer: testTokenizer() })) {
    expect(batch.rejections).toEqual([]);
    for (const r of batch.rows) out.push(r.transaction);
  }
  return out;
}

/** A JSON body (as `POST /transactions` and the stream take it) with `amount` as given. */
function fromJson(amount: string | number): Transaction {
  const body = JSON.parse(JSON.stringify({ transaction_id: 'J', timestamp: '2026-01-01T00:00:00Z', account_id: 'acc', amount }));
  const r = validateObject(body, { tokenizer: testTokenizer(), sourceKey: 'json', row: 1 });
  if (!r.ok) throw new Error(`invalid body: ${JSON.stringify(r.errors)}`);
  return r.transaction;
}

describe('money literals in rules, against money from CSV and JSON', () => {
  it.each(LITERALS)('a CSV amount of %s equals the same literal in every form of rule', async (literal) => {
    // Prepare
    const { set, fire, silent } = rulesFor(literal);
    const [tx] = await fromCsv([literal]);
    if (!tx) throw new Error('no transaction');

    // Act
    const result = evaluate(set, tx, firstSeen(tx));

    // Assess
    expect(result.fired.map((h) => h.rule)).toEqual(fire);
    expect(result.unfired).toEqual(silent);
  });

  it.each(LITERALS)('a JSON amount of %s, as a string or a number, equals the literal', (literal) => {
    // Prepare
    const { set, fire, silent } = rulesFor(literal);

    for (const tx of [fromJson(literal), fromJson(Number(literal))]) {
      // Act
      const result = evaluate(set, tx, firstSeen(tx));

      // Assess
      expect(result.fired.map((h) => h.rule)).toEqual(fire);
      expect(result.unfired).toEqual(silent);
    }
  });

  it('tells apart amounts one ten-thousandth either side of each literal', async () => {
    // Prepare: for each literal, the amounts 0.0001 below and above it, from a CSV.
    const around = LITERALS.flatMap((l) => {
      const [whole = '', frac = ''] = l.split('.');
      const e4 = BigInt(whole) * 10_000n + BigInt(frac.padEnd(4, '0'));
      const text = (v: bigint): string => `${v / 10_000n}.${String(v % 10_000n).padStart(4, '0')}`;
      return [
        { literal: l, amount: text(e4 - 1n), below: true },
        { literal: l, amount: text(e4 + 1n), below: false },
      ];
    });
    const txs = await fromCsv(around.map((a) => a.amount));

    // Act / Assess
    around.forEach((a, i) => {
      const tx = txs[i] as Transaction;
      const { set } = rulesFor(a.literal);
      const fired = evaluate(set, tx, firstSeen(tx)).fired.map((h) => h.rule);
      expect(fired, `${a.amount} vs ${a.literal}`).toEqual(a.below ? ['le', 'ne', 'lt', 'not_in'] : ['ge', 'ne', 'gt', 'not_in']);
    });
  });
});
