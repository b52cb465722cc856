import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BatchText,
  CSV_HEADER,
  DecisionLines,
  decideColumns,
  decisionColumns,
  transferables,
  undecidedColumns,
} from '../../src/adapters/local/decisionLines.js';
import { CsvParser, type CsvRecord } from '../../src/core/csv.js';
import { formatDecimal } from '../../src/core/decimal.js';
import { pathMarginsFlat } from '../../src/core/model/gbdt.js';
import { FEATURE_COUNT } from '../../src/core/model/vector.js';
import type { DecidedItem } from '../../src/core/records.js';
import { isAlerting } from '../../src/core/views.js';
import { decidePrepared } from '../../src/pipeline/score.js';
import { expectedDecisionLine } from '../helpers/decisionLine.js';
import { preparedHistory, trainedHistory } from '../helpers/trainedHistory.js';
import { makeDecision, makeTx } from '../helpers/transactions.js';

// The formatting of the decisions file, run in this process (the writer runs it on its thread):
// every field of every line is read back and compared with the item it came from.

/** Rows that differ in every field: card or not, model or not, reasons, features, ids that need escaping. */
function items(): DecidedItem[] {
  return [
    {
      transaction: makeTx({ transactionId: 'a', accountId: 'acc-a', amount: 1_234_500, currency: 'EUR', timestamp: Date.UTC(2024, 4, 2, 3, 4, 5, 6) }),
      decision: makeDecision({ transaction_id: 'a', score: 12.5, rules_score: 12.5, outcome: 'allow', rules_version: 'r-1', decided_at: '2024-05-02T03:04:06.000Z' }),
      source: { file: 'in.csv', row: 7, line: 8 },
    },
    {
      transaction: makeTx({
        transactionId: 'b "q"',
        accountId: 'acc,"b"\\x',
        card: { token: 'tok', masked: '411111******1111' },
        amount: 5,
        timestamp: Date.UTC(2024, 4, 2, 23, 59, 59, 999),
      }),
      decision: makeDecision({
        transaction_id: 'b "q"',
        score: 91.25,
        rules_score: 80,
        outcome: 'block',
        reasons: [
          { rule: 'big', weight: 80, detail: 'amount > 100, "large"' },
          { rule: 'night', weight: 10, detail: 'hour < 6', action: 'review' },
        ],
        model_score: 0.875,
        model_version: 'm-"2"',
        model_features: [
          { feature: 'amount', weight: 1.5, value: 0.25 },
          { feature: 'velocity', weight: -0.125, value: 3 },
        ],
        rules_version: 'r-"2"',
        decided_at: '2024-05-02T03:04:07.000Z',
      }),
      source: { file: 'in.csv', row: 8, line: 9 },
    },
    {
      transaction: makeTx({
        transactionId: 'c\n\t\u0001é€😀',
        accountId: 'ünïcödé\r\nline',
        card: { token: 't2', masked: '550000******0004' },
        amount: 99_990_000,
        currency: 'GBP',
        timestamp: Date.UTC(2024, 4, 3, 0, 0, 0, 0),
      }),
      decision: makeDecision({
        transaction_id: 'c\n\t\u0001é€😀',
        score: 0.1 + 0.2,
        rules_score: 50,
        outcome: 'review',
        model_score: 0,
        model_version: 'm-"2"',
        model_features: [{ feature: 'amount', weight: 2, value: 1 }],
        rules_version: 'r-1',
      }),
      source: { file: 'in.csv', row: 9, line: 10 },
    },
    {
      transaction: makeTx({ transactionId: 'd\ud800', accountId: 'acc-d', amount: -10_001, timestamp: Date.UTC(1999, 11, 31, 23, 0, 0, 1) }),
      decision: makeDecision({ transaction_id: 'd\ud800', score: 30, rules_score: 30, outcome: 'review', reasons: [{ rule: 'new', weight: 30, detail: 'first seen' }] }),
    },
    {
      transaction: makeTx({ transactionId: 'e', accountId: '', amount: 0 }),
      decision: makeDecision({ transaction_id: 'e', model_score: 12.75, model_version: 'm-3', rules_version: 'r-1' }),
      source: { file: 'in.csv', row: 0, line: 1 },
    },
  ];
}

/**
 * The CSV fields the decisions file holds for `item`, in the columns of the header. CSV has no
 * escape for a lone surrogate: UTF-8 encoding writes it as U+FFFD, as for any text.
 */
function expectedCsv({ transaction: tx, decision: dec, source }: DecidedItem): string[] {
  const fields = [
    dec.transaction_id,
    source ? String(source.row) : '',
    new Date(tx.timestamp).toISOString(),
    tx.accountId,
    tx.card?.masked ?? '',
    formatDecimal(tx.amount),
    tx.currency,
    String(dec.score),
    dec.outcome,
    dec.reasons.map((r) => r.rule).join('|'),
    String(dec.rules_score),
    dec.model_score === null ? '' : String(dec.model_score),
    dec.rules_version,
    dec.model_version ?? '',
    dec.decided_at,
  ];
  return fields.map((f) => Buffer.from(f, 'utf8').toString('utf8'));
}

/** Encodes `batches` with one formatter, as one file, `end()` included. */
function encodeFile(format: 'jsonl' | 'csv', batches: DecidedItem[][]): string {
  const lines = new DecisionLines(format);
  const parts = batches.map((b) => lines.encode(decisionColumns(b)));
  parts.push(lines.end());
  return Buffer.concat(parts).toString('utf8');
}

function parseCsv(text: string): CsvRecord[] {
  const parser = new CsvParser(',');
  const out: CsvRecord[] = [];
  parser.push(text, out);
  parser.end(out);
  return out;
}

/** The batchings of `all` the tests encode: one batch, one row per batch, and an uneven split with an empty batch. */
function batchings(all: DecidedItem[]): DecidedItem[][][] {
  return [[all], all.map((x) => [x]), [all.slice(0, 2), [], all.slice(2)]];
}

describe('decision lines, JSONL', () => {
  it('writes every field of every item, however the items are batched', () => {
    const all = items();
    for (const batches of batchings(all)) {
      const text = encodeFile('jsonl', batches);
      expect(text.endsWith('\n')).toBe(true);
      const lines = text.slice(0, -1).split('\n');
      expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual(all.map(expectedDecisionLine));
    }
  });

  it('writes the keys in the order of the decision contract, then the transaction fields', () => {
    const all = items();
    const keys = encodeFile('jsonl', [all])
      .trimEnd()
      .split('\n')
      .map((l) => Object.keys(JSON.parse(l) as object));
    expect(keys[1]).toEqual([
      'transaction_id', 'score', 'outcome', 'reasons', 'rules_score', 'model_score', 'model_version', 'model_features',
      'rules_version', 'decided_at', 'row', 'timestamp', 'account_id', 'card', 'amount', 'currency',
    ]);
    expect(keys[0]).toEqual([
      'transaction_id', 'score', 'outcome', 'reasons', 'rules_score', 'model_score', 'model_version',
      'rules_version', 'decided_at', 'row', 'timestamp', 'account_id', 'amount', 'currency',
    ]);
  });

  it('writes an id that needs no escaping as it is, and one that does as JSON.stringify does', () => {
    const plain = makeTx({ transactionId: 'plain-1', accountId: 'acc' });
    const odd = makeTx({ transactionId: 'x"\\\u001f\udfff', accountId: 'acc' });
    const text = encodeFile('jsonl', [[
      { transaction: plain, decision: makeDecision({ transaction_id: 'plain-1' }) },
      { transaction: odd, decision: makeDecision({ transaction_id: odd.transactionId }) },
    ]]);
    const lines = text.trimEnd().split('\n');
    expect(lines[0]?.startsWith('{"transaction_id":"plain-1","score":0,')).toBe(true);
    expect(lines[1]?.startsWith(`{"transaction_id":${JSON.stringify(odd.transactionId)},"score":0,`)).toBe(true);
  });

  it('writes an empty rules version, an empty masked card and a backslash as the only character to escape', () => {
    // Prepare: edge values on the first line of the file, where nothing is remembered yet
    const all: DecidedItem[] = [
      {
        transaction: makeTx({ transactionId: 'back\\slash', accountId: 'acc\\1', card: { token: 'tok', masked: '' } }),
        decision: makeDecision({ transaction_id: 'back\\slash', rules_version: '' }),
      },
      { transaction: makeTx({ transactionId: 'f' }), decision: makeDecision({ transaction_id: 'f', rules_version: '' }) },
    ];

    // Act
    const text = encodeFile('jsonl', [all]);

    // Assess
    expect(text.trimEnd().split('\n').map((l) => JSON.parse(l) as unknown)).toEqual(all.map(expectedDecisionLine));
  });

  it('escapes an id made only of characters to escape: quotes, backslashes, control characters, a lone surrogate', () => {
    const odd = ['"', '""', '\\', '\n', '\u0000\u001f', '\ud800', '\udc00\ud800'];
    const all: DecidedItem[] = odd.map((id) => ({ transaction: makeTx({ transactionId: id, accountId: id }), decision: makeDecision({ transaction_id: id }) }));
    const text = encodeFile('jsonl', [all]);
    expect(text.trimEnd().split('\n').map((l) => JSON.parse(l) as unknown)).toEqual(all.map(expectedDecisionLine));
  });

  it('writes the rest of a line whole after reasons and features that grew the buffer, however long the versions', () => {
    // An id to escape grows the buffer by just its own room; reasons and features then take more
    // than the line had reserved for its fixed part, before two long versions are written.
    const item: DecidedItem = {
      transaction: makeTx({ transactionId: '\u0000', accountId: '', currency: 'USD', amount: 0, timestamp: 0 }),
      decision: makeDecision({
        transaction_id: '\u0000',
        model_score: null,
        model_version: 'v'.repeat(700),
        rules_version: 'v'.repeat(700),
        reasons: [{ rule: '', weight: 5e-324, detail: '0_' }],
        model_features: [
          { feature: 'a__a_a_aa_a_', weight: -1.8225980143322365e-244, value: 1.0848827342201821e100 },
          { feature: 'aaaaaa_', weight: 1.0000108117844442e-267, value: 1.0037952888614551e68 },
          { feature: '___aa', weight: -1.0000023965011061e-218, value: -1.3642221113936711e-301 },
        ],
      }),
    };
    const bytes = new DecisionLines('jsonl').encode(decisionColumns([item]));
    expect(bytes.toString('utf8')).toBe(expectedJsonLine(item));
  });

  it('ends an empty file with nothing', () => {
    const lines = new DecisionLines('jsonl');
    expect(lines.encode(decisionColumns([])).length).toBe(0);
    expect(lines.end().length).toBe(0);
    expect(new DecisionLines('jsonl').end().length).toBe(0);
  });
});

/**
 * The JSONL line of `item` byte for byte, built the plain way: a template of its fields, each
 * string through JSON.stringify (the outcome, decision time and currency as they are), each number
 * through String, the whole line encoded as UTF-8 at once.
 */
function expectedJsonLine({ transaction: tx, decision: d, source }: DecidedItem): string {
  return (
    `{"transaction_id":${JSON.stringify(d.transaction_id)},"score":${String(d.score)},"outcome":"${d.outcome}",` +
    `"reasons":${JSON.stringify(d.reasons)},"rules_score":${String(d.rules_score)},"model_score":${String(d.model_score)},` +
    `"model_version":${JSON.stringify(d.model_version)},` +
    (d.model_features ? `"model_features":${JSON.stringify(d.model_features)},` : '') +
    `"rules_version":${JSON.stringify(d.rules_version)},"decided_at":"${d.decided_at}","row":${String(source?.row ?? null)},` +
    `"timestamp":"${new Date(tx.timestamp).toISOString()}","account_id":${JSON.stringify(tx.accountId)}` +
    (tx.card ? `,"card":${JSON.stringify(tx.card.masked)}` : '') +
    `,"amount":"${formatDecimal(tx.amount)}","currency":"${tx.currency}"}\n`
  );
}

describe('decision lines, JSONL bytes', () => {
  it('writes every line byte for byte as the plain template does, whatever the values and the batching', () => {
    // Prepare: strings plain and not (escapes, non-ASCII, lone surrogates), numbers of every kind,
    // versions longer than a line's fixed room
    const text = fc.oneof(
      fc.string({ maxLength: 30 }),
      fc.stringMatching(/^[A-Za-z0-9_-]{0,24}$/),
      fc.string({ unit: 'binary', maxLength: 8 }),
      fc.constantFrom('\u0000', '\ud800', 'x"y', 'a\\b', '\u007f', 'é', '€', '😀', 'v'.repeat(700)),
    );
    const finite = fc.double({ noNaN: true, noDefaultInfinity: true });
    const score = fc.oneof(fc.double({ noNaN: true }), fc.integer(), fc.constantFrom(0, -0, 100, 1e21, 0.1 + 0.2));
    const item = fc.record({
      id: text,
      account: text,
      card: fc.option(text, { nil: undefined }),
      currency: fc.oneof(fc.constantFrom('USD', 'EUR'), text),
      amount: fc.oneof(fc.maxSafeInteger(), fc.integer({ min: 1, max: 10_000_000 })),
      timestamp: fc.integer({ min: 0, max: Date.UTC(2300, 0, 1) }),
      score,
      rulesScore: score,
      modelScore: fc.option(score, { nil: null }),
      modelVersion: fc.option(text, { nil: null }),
      rulesVersion: text,
      outcome: fc.constantFrom('allow', 'review', 'block'),
      decidedAt: fc.constantFrom('2026-12-07T05:24:39.408Z', '2026-12-07T05:24:40.000Z'),
      row: fc.option(fc.nat(), { nil: undefined }),
      reasons: fc.array(fc.record({ rule: text, weight: score, detail: text }), { maxLength: 2 }),
      // A model's contributions are finite (JSON has no infinity to write them as).
      features: fc.option(fc.array(fc.record({ feature: fc.stringMatching(/^[a-z_]{1,12}$/), weight: finite, value: finite }), { maxLength: 3 }), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(item, { maxLength: 12 }), fc.integer({ min: 1, max: 5 }), (rows, per) => {
        const all: DecidedItem[] = rows.map((r) => ({
          transaction: makeTx({
            transactionId: r.id,
            accountId: r.account,
            ...(r.card !== undefined ? { card: { token: 't', masked: r.card } } : {}),
            currency: r.currency,
            amount: r.amount,
            timestamp: r.timestamp,
          }),
          decision: makeDecision({
            transaction_id: r.id,
            score: r.score,
            rules_score: r.rulesScore,
            model_score: r.modelScore,
            model_version: r.modelVersion,
            rules_version: r.rulesVersion,
            outcome: r.outcome as 'allow',
            decided_at: r.decidedAt,
            reasons: r.reasons,
            ...(r.features ? { model_features: r.features } : {}),
          }),
          ...(r.row !== undefined ? { source: { file: 'in.csv', row: r.row, line: r.row + 1 } } : {}),
        }));
        const batches: DecidedItem[][] = [];
        for (let i = 0; i < all.length; i += per) batches.push(all.slice(i, i + per));

        // Act: batch by batch, all batches in one buffer, and batch by batch into one reused buffer
        const lines = new DecisionLines('jsonl');
        const one = Buffer.concat(batches.map((b) => lines.encode(decisionColumns(b))));
        const together = new DecisionLines('jsonl').encodeAll(batches.map(decisionColumns));
        const reusing = new DecisionLines('jsonl');
        const reused = Buffer.concat(batches.map((b) => Buffer.from(reusing.encodeReused([decisionColumns(b)]))));

        // Assess
        const expected = Buffer.from(all.map(expectedJsonLine).join(''), 'utf8');
        expect(one.equals(expected)).toBe(true);
        expect(together.equals(expected)).toBe(true);
        expect(reused.equals(expected)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

describe('decision lines, JSONL: values that repeat within a batch', () => {
  it('writes each row its own versions and decision time when the rows of one batch differ in any of them', () => {
    // Prepare: one batch holding every combination of model version, rules version and decision
    // time, twice over and in mixed order, none with model features
    const combos: DecidedItem[] = [];
    for (const modelVersion of [null, 'gbdt-1']) {
      for (const rulesVersion of ['r1', 'r2']) {
        for (const decidedAt of ['2026-12-07T05:24:39.408Z', '2026-12-07T05:24:40.000Z']) {
          for (const outcome of ['allow', 'block'] as const) {
            const id = `T${combos.length}`;
            combos.push({
              transaction: makeTx({ transactionId: id }),
              decision: makeDecision({ transaction_id: id, model_version: modelVersion, rules_version: rulesVersion, decided_at: decidedAt, outcome }),
            });
          }
        }
      }
    }
    // and rows where one of the three changes alone from the row before
    const alone = (id: string, modelVersion: string | null, rulesVersion: string, decidedAt: string): DecidedItem => ({
      transaction: makeTx({ transactionId: id }),
      decision: makeDecision({ transaction_id: id, model_version: modelVersion, rules_version: rulesVersion, decided_at: decidedAt }),
    });
    const steps = [
      alone('S1', null, 'r1', '2026-12-07T05:24:39.408Z'),
      alone('S2', null, 'r2', '2026-12-07T05:24:39.408Z'),
      alone('S3', 'gbdt-1', 'r2', '2026-12-07T05:24:39.408Z'),
      alone('S4', 'gbdt-1', 'r2', '2026-12-07T05:24:40.000Z'),
      alone('S5', 'gbdt-1', 'r2', '2026-12-07T05:24:40.000Z'),
    ];
    const all = [...combos, ...combos.slice().reverse(), ...steps];

    // Act
    const text = new DecisionLines('jsonl').encode(decisionColumns(all)).toString('utf8');

    // Assess
    expect(text).toBe(all.map(expectedJsonLine).join(''));
  });
});

describe('decision lines, buffers', () => {
  it('writes a line whose id, account and card are far longer than the room a line keeps, in a buffer first sized for one short line', () => {
    // Prepare
    const long = (c: string, n: number): string => c.repeat(n);
    const item = (id: string, accountId: string, card: string): DecidedItem => ({
      transaction: makeTx({ transactionId: id, accountId, card: { token: 't', masked: card } }),
      decision: makeDecision({ transaction_id: id }),
    });
    const items = [item('T1', 'A1', long('4', 5000)), item(long('i', 3000), 'A2', '4111'), item('T3', long('a', 3000), '4111')];

    // Act: each line in a batch of its own, so that no line before it grew the buffer
    const text = items.map((i) => new DecisionLines('jsonl').encode(decisionColumns([i])).toString('utf8'));

    // Assess
    expect(text).toEqual(items.map(expectedJsonLine));
  });

  it('writes CSV through encodeReused as encodeAll writes it', () => {
    // Prepare
    const items = [1, 2, 3].map((n) => ({ transaction: makeTx({ transactionId: `T${n}` }), decision: makeDecision({ transaction_id: `T${n}` }) }));

    // Act
    const reused = Buffer.from(new DecisionLines('csv').encodeReused([decisionColumns(items)])).toString('utf8');
    const all = new DecisionLines('csv').encodeAll([decisionColumns(items)]).toString('utf8');

    // Assess
    expect(reused.startsWith(CSV_HEADER)).toBe(true);
    expect(reused).toBe(all);
  });
});

describe('decideColumns', () => {
  it.each([7, 300])(
    "writes, batch by batch of %i rows, the lines of the scoring loop's decisions from the same model vectors and hits, and counts their outcomes and alerts",
    (size) => {
      // Prepare: the trained history as the loop prepares it; the loop's margins (pathMarginsFlat)
      const { model } = trainedHistory();
      const prepared = preparedHistory(size);
      let expected = '';
      let actual = '';
      const expectedCounts = { allow: 0, review: 0, block: 0, alerts: 0 };
      const counts = { allow: 0, review: 0, block: 0, alerts: 0 };

      for (const p of prepared) {
        const margins = new Float64Array(p.fresh.length);
        pathMarginsFlat(model.flat, p.matrix, FEATURE_COUNT, p.fresh.length, margins);
        const decided = decidePrepared(p, margins, model).decided;
        expected += new DecisionLines('jsonl').encode(decisionColumns(decided)).toString('utf8');
        for (const { decision } of decided) {
          expectedCounts[decision.outcome]++;
          if (isAlerting(decision)) expectedCounts.alerts++;
        }

        // Act: the same rows decided in their columns, as the decisions-file thread decides them
        const c = undecidedColumns(p);
        const r = decideColumns(c, p.matrix, p.rules, p.at, model);
        actual += new DecisionLines('jsonl').encode(c).toString('utf8');
        for (const o of ['allow', 'review', 'block'] as const) counts[o] += r.outcomes[o];
        counts.alerts += r.alerts;
      }

      // Assess: byte for byte, with every outcome, reasons and named features among the lines
      expect(actual).toBe(expected);
      expect(counts).toEqual(expectedCounts);
      expect(counts.review).toBeGreaterThan(0);
      expect(counts.block).toBeGreaterThan(0);
      expect(expected).toContain('"model_features":[');
      expect(expected).toMatch(/"reasons":\[\{/);
    },
  );
});

describe('decision lines, CSV', () => {
  it('writes the header once, then every field of every item, however the items are batched', () => {
    const all = items();
    for (const batches of batchings(all)) {
      const text = encodeFile('csv', batches);
      expect(text.startsWith(CSV_HEADER)).toBe(true);
      expect(text.indexOf(CSV_HEADER, 1)).toBe(-1);
      expect(text.endsWith('\n')).toBe(true);
      const records = parseCsv(text);
      expect(records[0]?.fields).toEqual(CSV_HEADER.trimEnd().split(','));
      expect(records.slice(1).map((r) => r.fields)).toEqual(all.map(expectedCsv));
    }
  });

  it('writes the header alone for an empty file: from end() when no batch wrote it, never twice', () => {
    const none = new DecisionLines('csv');
    expect(none.end().toString('utf8')).toBe(CSV_HEADER);
    expect(none.end().length).toBe(0);

    const empty = new DecisionLines('csv');
    expect(empty.encode(decisionColumns([])).toString('utf8')).toBe(CSV_HEADER);
    expect(empty.end().length).toBe(0);
    expect(empty.encode(decisionColumns([])).length).toBe(0);
  });
});

describe('decision columns', () => {
  it('codes each repeated value once and lists extras only for the rows that have them', () => {
    const all = items();
    const c = decisionColumns(all);
    expect(c.size).toBe(all.length);
    expect(c.extraRows).toEqual([1, 2, 3]);
    expect(c.reasons).toEqual([all[1]?.decision.reasons, null, all[3]?.decision.reasons]);
    expect(c.modelFeatures).toEqual([all[1]?.decision.model_features, all[2]?.decision.model_features, null]);
    expect(new Set(c.values).size).toBe(c.values.length);
    expect(transferables(c)).toEqual([c.lengths.buffer, c.codes.buffer, c.numbers.buffer]);
  });
});

describe('BatchText', () => {
  it('keeps every byte when lines outgrow the buffer first sized, in characters of 1 to 4 UTF-8 bytes', () => {
    const text = new BatchText(1);
    const lines = ['a'.repeat(399), 'é€😀'.repeat(300), 'b', '€'.repeat(1_000)];
    for (const l of lines) text.add(l);
    expect(text.bytes().toString('utf8')).toBe(lines.join(''));
    const none = new BatchText(0);
    expect(none.bytes().length).toBe(0);
    none.add('x'.repeat(401));
    expect(none.bytes().toString('utf8')).toBe('x'.repeat(401));
  });
});
