import { describe, expect, it } from 'vitest';
import { HeaderError, MappingError } from '../../src/core/errors.js';
import {
  type ColumnMapping,
  deriveTransactionId,
  FIELDS,
  mapHeader,
  normaliseName,
  parseFieldMap,
  type RowResult,
  type ValidationContext,
  validateObject,
  validateRecord,
} from '../../src/core/schema.js';
import type { Transaction } from '../../src/core/transaction.js';
import { testTokenizer } from '../helpers/transactions.js';
import { canaries, leakedPans } from '../security/panShapes.js';

const VISA = '4111111111111111';

function ctx(overrides: Partial<ValidationContext> = {}): ValidationContext {
  return { tokenizer: testTokenizer(), sourceKey: 'inbox/batch-1.csv', row: 1, ...overrides };
}

function ok(result: RowResult): Transaction {
  if (!result.ok) throw new Error(`expected a transaction, got ${JSON.stringify(result.errors)}`);
  return result.transaction;
}

function errorsOf(result: RowResult): { column: string; reason: string }[] {
  if (result.ok) throw new Error(`expected errors, got ${JSON.stringify(result.transaction)}`);
  return result.errors;
}

function headerError(fn: () => unknown): HeaderError {
  try {
    fn();
  } catch (e) {
    if (e instanceof HeaderError) return e;
    throw e;
  }
  throw new Error('expected a HeaderError');
}

/** Maps `headers` and validates one row given as `{ header: value }`. */
function validateRow(headers: string[], row: Record<string, string>, context = ctx()): RowResult {
  const mapping = mapHeader(headers);
  return validateRecord(
    headers.map((h) => row[h] ?? ''),
    mapping,
    context,
  );
}

const BASIC = ['timestamp', 'account_id', 'amount'];

describe('normaliseName', () => {
  it('folds case and turns spaces and dashes into underscores', () => {
    expect(normaliseName('  Account ID ')).toBe('account_id');
    expect(normaliseName('merchant-category')).toBe('merchant_category');
    expect(normaliseName('Card  -  Number')).toBe('card_number');
  });
});

describe('parseFieldMap', () => {
  it('parses THEIR=ours pairs, trimming and normalising our names', () => {
    expect(parseFieldMap('cust=account_id, amt_usd = Amount ,When=timestamp,,')).toEqual({
      cust: 'account_id',
      amt_usd: 'amount',
      When: 'timestamp',
    });
  });

  it('accepts an empty spec', () => {
    expect(parseFieldMap('')).toEqual({});
  });

  it.each([
    ['noequals', 'is not THEIR_NAME=our_name'],
    ['=amount', 'is not THEIR_NAME=our_name'],
    ['x=not_a_field', '"not_a_field" is not a field'],
  ])('rejects %j with a MappingError', (spec, message) => {
    expect(() => parseFieldMap(spec)).toThrow(MappingError);
    expect(() => parseFieldMap(spec)).toThrow(message);
  });
});

describe('mapHeader', () => {
  it('matches our own field names case-insensitively', () => {
    // Act
    const m = mapHeader(['Timestamp', 'ACCOUNT_ID', ' Amount ', 'Merchant Category']);

    // Assess
    expect(m.index.timestamp).toBe(0);
    expect(m.index.account_id).toBe(1);
    expect(m.index.amount).toBe(2);
    expect(m.index.merchant_category).toBe(3);
    expect(m.index.card_number).toBe(-1);
    expect(m.attributes).toEqual([]);
  });

  it.each([
    ['customer_id', 'account_id'],
    ['Customer ID', 'account_id'],
    ['location', 'country'],
    ['amt', 'amount'],
    ['cc_num', 'card_number'],
    ['is_fraud', 'label'],
    ['MCC', 'merchant_category'],
    ['balance', 'account_balance'],
    ['txn_id', 'transaction_id'],
    ['dest_country', 'destination_country'],
    ['source_country', 'origin_country'],
  ])('maps the alias %j to %s', (alias, field) => {
    // Prepare: the three required columns, with the alias standing in for its own field
    const required: Record<string, string> = { timestamp: 'timestamp', account_id: 'account_id', amount: 'amount' };
    const headers =
      field in required ? Object.values({ ...required, [field]: alias }) : [...Object.values(required), alias];

    // Act
    const m = mapHeader(headers);

    // Assess
    expect(m.headers[m.index[field as keyof ColumnMapping['index']]]).toBe(alias);
    expect(m.attributes).toEqual([]);
  });

  it('prefers an exact field name over an alias, keeping the alias column as an attribute', () => {
    // Act
    const m = mapHeader(['customer_id', 'account_id', 'time', 'amount']);

    // Assess
    expect(m.index.account_id).toBe(1);
    expect(m.attributes).toEqual([[0, 'customer_id']]);
  });

  it('lets --map override names and aliases', () => {
    // Prepare
    const map = parseFieldMap('WHO=account_id,when=timestamp,Total=amount');

    // Act
    const m = mapHeader(['when', 'who', 'total', 'account_id', 'amount'], map);

    // Assess
    expect(m.index.timestamp).toBe(0);
    expect(m.index.account_id).toBe(1);
    expect(m.index.amount).toBe(2);
    expect(m.attributes).toEqual([
      [3, 'account_id'],
      [4, 'amount'],
    ]);
  });

  it('keeps unknown columns as attributes, ignoring blank header cells', () => {
    // Act
    const m = mapHeader(['timestamp', ' Note ', 'account_id', '', 'amount', 'device_os']);

    // Assess
    expect(m.attributes).toEqual([
      [1, 'Note'],
      [5, 'device_os'],
    ]);
  });

  it('names the missing required field, the columns and the file', () => {
    // Act
    const e = headerError(() => mapHeader(['timestamp', 'amount', 'merchant'], {}, 'inbox/x.csv'));

    // Assess
    expect(e.file).toBe('inbox/x.csv');
    expect(e.message).toMatch(/^inbox\/x\.csv: /);
    expect(e.message).toContain('no column for account_id');
    expect(e.message).toContain('"merchant"');
    expect(e.message).toContain('--map THEIR_NAME=account_id');
  });

  it('lists every missing required field', () => {
    expect(headerError(() => mapHeader(['merchant'])).message).toContain('no column for timestamp, account_id, amount');
  });

  it('says when --map names a column the file does not have', () => {
    // Act
    const e = headerError(() => mapHeader(['timestamp', 'amount'], { cust: 'account_id' }));

    // Assess
    expect(e.message).toContain('--map names columns that are not in the file: cust');
  });

  it('refuses two columns claiming one field', () => {
    // Act
    const e = headerError(() => mapHeader(['timestamp', 'account_id', 'a', 'b'], { a: 'amount', b: 'amount' }));

    // Assess
    expect(e.message).toContain('columns "a" and "b" both map to amount');
  });

  it('refuses an empty header row', () => {
    expect(headerError(() => mapHeader(['', ' '])).message).toContain('the header row is empty');
  });
});

describe('validateRecord', () => {
  const HEADERS = [
    'transaction_id',
    'timestamp',
    'account_id',
    'card_number',
    'amount',
    'currency',
    'merchant',
    'merchant_category',
    'terminal_id',
    'country',
    'origin_country',
    'destination_country',
    'account_balance',
    'channel',
    'device_id',
    'ip',
    'label',
  ];

  it('builds a transaction from a full row', () => {
    // Prepare
    const row = {
      transaction_id: 't-1',
      timestamp: '2024-03-01T12:00:00Z',
      account_id: ' acc-1 ',
      card_number: '4111 1111 1111 1111',
      amount: '1,234.50',
      currency: 'eur',
      merchant: 'Shop',
      merchant_category: '5411',
      terminal_id: 'T1',
      country: 'gb',
      origin_country: 'gb',
      destination_country: 'fr',
      account_balance: '-10.5',
      channel: 'web',
      device_id: 'd1',
      ip: '10.0.0.1',
      label: 'fraud',
    };

    // Act
    const tx = ok(validateRow(HEADERS, row));

    // Assess
    expect(tx).toEqual({
      transactionId: 't-1',
      timestamp: Date.UTC(2024, 2, 1, 12),
      accountId: 'acc-1',
      card: testTokenizer()(VISA),
      amount: 12_345_000,
      currency: 'EUR',
      merchant: 'Shop',
      merchantCategory: '5411',
      terminalId: 'T1',
      country: 'GB',
      originCountry: 'GB',
      destinationCountry: 'FR',
      accountBalance: -105_000,
      channel: 'web',
      deviceId: 'd1',
      ip: '10.0.0.1',
      label: 1,
      attributes: {},
    });
    expect(JSON.stringify(tx)).not.toContain(VISA);
  });

  it('leaves optional fields undefined (out of its JSON) and defaults the currency', () => {
    // Act
    const tx = ok(validateRow(BASIC, { timestamp: '1709294400', account_id: 'a', amount: '5' }));
    const eur = ok(
      validateRow(BASIC, { timestamp: '1709294400', account_id: 'a', amount: '5' }, ctx({ defaultCurrency: 'EUR' })),
    );

    // Assess
    expect(Object.keys(JSON.parse(JSON.stringify(tx)) as object).sort()).toEqual([
      'accountId',
      'amount',
      'attributes',
      'currency',
      'timestamp',
      'transactionId',
    ]);
    expect(tx.card).toBeUndefined();
    expect(tx.label).toBeUndefined();
    expect(tx.currency).toBe('USD');
    expect(eur.currency).toBe('EUR');
  });

  it('gives every transaction the same keys in the same order, whichever columns are empty', () => {
    // One hidden class for all transactions keeps the code reading them monomorphic.
    const headers = [...BASIC, 'merchant', 'label', 'channel'];
    const bare = ok(validateRow(headers, { timestamp: '1709294400', account_id: 'a', amount: '5' }));
    const full = ok(validateRow(headers, { timestamp: '1709294400', account_id: 'a', amount: '5', merchant: 'm', label: '1', channel: 'web' }));
    expect([full.merchant, full.label, full.channel]).toEqual(['m', 1, 'web']);
    expect(Object.keys(full)).toEqual(Object.keys(bare));
  });

  it.each([
    ['1', 1],
    ['TRUE', 1],
    ['yes', 1],
    ['Fraud', 1],
    ['1.0', 1],
    ['0', 0],
    ['false', 0],
    ['No', 0],
    ['legit', 0],
    ['0.0', 0],
  ])('reads the label %j as %i', (raw, expected) => {
    expect(
      ok(validateRow([...BASIC, 'label'], { timestamp: '1709294400', account_id: 'a', amount: '1', label: raw })).label,
    ).toBe(expected);
  });

  describe('names the user column in each error', () => {
    const USER_HEADERS = ['When', 'Cust', 'Amt', 'Cur', 'Bal', 'Fraud?', 'PAN', 'Shop'];
    const mapping = mapHeader(
      USER_HEADERS,
      parseFieldMap(
        'When=timestamp,Cust=account_id,Amt=amount,Cur=currency,Bal=account_balance,Fraud?=label,PAN=card_number,Shop=merchant',
      ),
    );
    const good: Record<string, string> = { When: '2024-03-01', Cust: 'c1', Amt: '10', Cur: 'USD' };

    it.each([
      ['When', '', 'is required'],
      ['When', '2024-02-30', 'is not a valid date and time'],
      ['When', 'soon', 'is not an ISO 8601 time'],
      ['Cust', '', 'is required'],
      ['Cust', 'x'.repeat(257), 'is longer than 256 characters'],
      ['Amt', '', 'is required'],
      ['Amt', 'ten', 'is not a decimal number'],
      ['Amt', '0', 'must be greater than 0 (got 0)'],
      ['Amt', '-5.00', 'must be greater than 0 (got -5.00)'],
      ['Amt', '1.00001', 'more than 4 decimal places'],
      ['Cur', 'US', 'is not an ISO 4217 code'],
      ['Cur', 'U5D', 'is not an ISO 4217 code'],
      ['Bal', 'lots', 'is not a decimal number'],
      ['Fraud?', 'maybe', 'is not 1/0, fraud/legit or true/false'],
      ['PAN', '4'.repeat(65), 'is longer than 64 characters'],
      ['Shop', 's'.repeat(257), 'is longer than 256 characters'],
    ])('column %s = %j', (column, raw, reason) => {
      // Prepare
      const row = { ...good, [column]: raw };

      // Act
      const errors = errorsOf(
        validateRecord(
          USER_HEADERS.map((h) => row[h] ?? ''),
          mapping,
          ctx(),
        ),
      );

      // Assess
      expect(errors).toHaveLength(1);
      expect(errors[0]?.column).toBe(column);
      expect(errors[0]?.reason).toContain(reason);
    });
  });

  it('reports every problem of a row at once', () => {
    // Act
    const errors = errorsOf(
      validateRow([...BASIC, 'currency', 'label'], {
        timestamp: 'never',
        account_id: '',
        amount: '0',
        currency: 'dollars',
        label: '2',
      }),
    );

    // Assess
    expect(errors.map((e) => e.column)).toEqual(['timestamp', 'account_id', 'amount', 'currency', 'label']);
  });

  it('reports required fields of a short row as missing', () => {
    // Act
    const errors = errorsOf(validateRecord(['2024-03-01'], mapHeader(BASIC), ctx()));

    // Assess
    expect(errors).toEqual([
      { column: 'account_id', reason: 'is required' },
      { column: 'amount', reason: 'is required' },
    ]);
  });

  it('rejects a row with more non-empty fields than the header', () => {
    // Act
    const errors = errorsOf(validateRecord(['2024-03-01', 'a', '1', 'extra'], mapHeader(BASIC), ctx()));

    // Assess
    expect(errors).toEqual([{ column: '(row)', reason: 'row has 4 fields but the header has 3' }]);
  });

  it('tolerates trailing empty fields beyond the header', () => {
    expect(validateRecord(['2024-03-01', 'a', '1', '', ' '], mapHeader(BASIC), ctx()).ok).toBe(true);
  });

  it('derives a stable transaction id per file and row when the row has none', () => {
    // Prepare
    const row = ['2024-03-01', 'a', '1'];
    const mapping = mapHeader(BASIC);

    // Act
    const first = ok(validateRecord(row, mapping, ctx({ row: 7 }))).transactionId;
    const again = ok(validateRecord(row, mapping, ctx({ row: 7 }))).transactionId;
    const nextRow = ok(validateRecord(row, mapping, ctx({ row: 8 }))).transactionId;
    const otherFile = ok(validateRecord(row, mapping, ctx({ row: 7, sourceKey: 'inbox/other.csv' }))).transactionId;

    // Assess
    expect(first).toMatch(/^tx_[A-Za-z0-9_-]{20}$/);
    expect(first).toBe(again);
    expect(first).toBe(deriveTransactionId('inbox/batch-1.csv', 7));
    expect(nextRow).not.toBe(first);
    expect(otherFile).not.toBe(first);
  });

  it('does not confuse file keys and row numbers when deriving ids', () => {
    expect(deriveTransactionId('a1', 2)).not.toBe(deriveTransactionId('a', 12));
  });

  it('keeps unknown columns as attributes with PAN-shaped text masked', () => {
    // Act
    const tx = ok(
      validateRow([...BASIC, 'Note', 'empty', 'ref'], {
        timestamp: '2024-03-01',
        account_id: 'a',
        amount: '1',
        Note: `card ${VISA} declined`,
        empty: '',
        ref: 'order 12345',
      }),
    );

    // Assess
    expect(tx.attributes).toEqual({ Note: 'card 411111******1111 declined', ref: 'order 12345' });
    expect(JSON.stringify(tx)).not.toContain(VISA);
  });

  it('builds no attributes when asked not to keep them, and still rejects one over the length cap', () => {
    // Act
    const headers = [...BASIC, 'Note', 'ref'];
    const row = { timestamp: '2024-03-01', account_id: 'a', amount: '1', Note: `card ${VISA}`, ref: 'order 1' };
    const kept = ok(validateRow(headers, row));
    const dropped = ok(validateRow(headers, row, { ...ctx(), attributes: false }));
    const tooLong = errorsOf(validateRow(headers, { ...row, ref: 'r'.repeat(257) }, { ...ctx(), attributes: false }));

    // Assess: the same transaction but for its attributes
    expect(dropped.attributes).toEqual({});
    expect({ ...dropped, attributes: kept.attributes }).toEqual(kept);
    expect(tooLong).toEqual([{ column: 'ref', reason: 'is longer than 256 characters' }]);
  });

  it('rejects an attribute longer than 256 characters, naming its column, along with the row\'s other problems', () => {
    // Act
    const kept = ok(
      validateRow([...BASIC, 'Note'], { timestamp: '2024-03-01', account_id: 'a', amount: '1', Note: 'n'.repeat(256) }),
    );
    const errors = errorsOf(
      validateRow([...BASIC, 'Note', 'ref'], {
        timestamp: '2024-03-01',
        account_id: 'a',
        amount: '0',
        Note: 'n'.repeat(257),
        ref: 'r'.repeat(1 << 20),
      }),
    );

    // Assess
    expect(kept.attributes.Note).toHaveLength(256);
    expect(errors).toEqual([
      { column: 'amount', reason: 'must be greater than 0 (got 0)' },
      { column: 'Note', reason: 'is longer than 256 characters' },
      { column: 'ref', reason: 'is longer than 256 characters' },
    ]);
  });

  it('masks PAN-shaped text pasted into known text fields, and masks and tokenises it in identifiers', () => {
    // Act
    const tx = ok(
      validateRow([...BASIC, 'merchant', 'transaction_id', 'channel'], {
        timestamp: '2024-03-01',
        account_id: `acct ${VISA}`,
        amount: '1',
        merchant: `shop 4111-1111-1111-1111`,
        transaction_id: VISA,
        channel: `pos ${VISA}`,
      }),
    );

    // Assess: free text is masked; identifiers (entity keys and the transaction id) carry the
    // card number's token too, so two different ids never become one; the same number in any
    // shape gives the same token
    const token = testTokenizer()(VISA).token;
    expect(tx.channel).toBe('pos 411111******1111');
    expect(tx.accountId).toBe(`acct 411111******1111~${token}`);
    expect(tx.merchant).toBe(`shop 411111******1111~${token}`);
    expect(tx.transactionId).toBe(`411111******1111~${token}`);
  });

  it('rejects an identifier that a card number\'s token would take past 256 characters', () => {
    // Act
    const result = validateRow([...BASIC], { timestamp: '2024-03-01', account_id: `${'a'.repeat(230)} ${VISA}`, amount: '1' });

    // Assess
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors).toEqual([{ column: 'account_id', reason: 'is longer than 256 characters once the card number in it is tokenised' }]);
  });

  it('keeps two transaction ids that mask alike distinct, and the same id the same', () => {
    // Prepare: two Luhn-valid order ids equal in their first 6 and last 4 digits
    const row = (id: string) =>
      ok(validateRow([...BASIC, 'transaction_id'], { timestamp: '2024-03-01', account_id: 'a', amount: '1', transaction_id: id }));

    // Act
    const a = row('2026010100000004').transactionId;
    const b = row('2026010100180004').transactionId;
    const again = row('2026-0101-0000-0004').transactionId;

    // Assess
    expect(a).not.toBe(b);
    expect(again).toBe(a);
    expect(a).not.toContain('2026010100000004');
  });

  it('tokenises a non-PAN card reference without BIN or last 4', () => {
    // Act
    const tx = ok(
      validateRow([...BASIC, 'card'], { timestamp: '2024-03-01', account_id: 'a', amount: '1', card: 'c_123' }),
    );

    // Assess
    expect(tx.card).toEqual(testTokenizer()('c_123'));
    expect(tx.card?.bin).toBeUndefined();
  });
});

describe('validateObject', () => {
  it('maps each body by its own keys, whatever bodies came before (same keys in another order, commas in keys)', () => {
    // Prepare: the mapping of a body shape is remembered; these shapes must not be confused.
    const a = { account_id: 'acc-1', amount: '1.00', timestamp: '2024-03-01T12:00:00Z' };
    const b = { timestamp: '2024-03-01T13:00:00Z', amount: '2.00', account_id: 'acc-2' };
    // Joined with commas, the keys of c and d would read the same.
    const c = { account_id: 'acc-3', amount: '3.00', timestamp: '2024-03-01T14:00:00Z', 'note,x': 'v' };
    const d = { account_id: 'acc-4', amount: '5.00', timestamp: '2024-03-01T15:00:00Z', note: 'v', x: 'w' };
    const shapes = Array.from({ length: 100 }, (_, i) => ({ [`extra_${i}`]: 'v', account_id: `acc-${i}`, amount: '4.00', timestamp: '2024-03-02T00:00:00Z' }));

    // Act
    const results = [a, b, c, d, a, b, ...shapes, b].map((body) => ok(validateObject(body, ctx())));

    // Assess
    expect(results.map((t) => [t.accountId, t.amount])).toEqual([
      ['acc-1', 10_000],
      ['acc-2', 20_000],
      ['acc-3', 30_000],
      ['acc-4', 50_000],
      ['acc-1', 10_000],
      ['acc-2', 20_000],
      ...shapes.map((_, i) => [`acc-${i}`, 40_000]),
      ['acc-2', 20_000],
    ]);
    expect(results[2]?.attributes).toEqual({ 'note,x': 'v' });
    expect(results[3]?.attributes).toEqual({ note: 'v', x: 'w' });
    expect(results[6]?.attributes).toEqual({ extra_0: 'v' });
  });

  it('reads each body of a run with the same keys by its own values, and a body after them with one key changed by its keys', () => {
    // Prepare: the same keys in the same order, body after body, as a client sends them.
    const bodies = Array.from({ length: 5 }, (_, i) => ({ account_id: `acc-${i}`, amount: `${i + 1}.00`, timestamp: '2024-03-01T12:00:00.250Z', merchant: `m${i}` }));
    const changed = { account_id: 'acc-x', amount: '9.00', timestamp: '2024-03-01T12:00:00Z', channel: 'pos' };

    // Act
    const results = [...bodies, changed, bodies[0]].map((body) => ok(validateObject(body, ctx())));

    // Assess
    expect(results.map((t) => [t.accountId, t.amount, t.timestamp, t.merchant, t.channel])).toEqual([
      ...bodies.map((_, i) => [`acc-${i}`, (i + 1) * 10_000, Date.UTC(2024, 2, 1, 12, 0, 0, 250), `m${i}`, undefined]),
      ['acc-x', 90_000, Date.UTC(2024, 2, 1, 12), undefined, 'pos'],
      ['acc-0', 10_000, Date.UTC(2024, 2, 1, 12, 0, 0, 250), 'm0', undefined],
    ]);
  });

  it('accepts numbers for amount, balance and epoch timestamps', () => {
    // Act
    const tx = ok(
      validateObject(
        { timestamp: 1_709_294_400_000, account_id: 'a', amount: 12.5, account_balance: 1000, label: true },
        ctx(),
      ),
    );

    // Assess
    expect(tx.timestamp).toBe(1_709_294_400_000);
    expect(tx.amount).toBe(125_000);
    expect(tx.accountBalance).toBe(10_000_000);
    expect(tx.label).toBe(1);
  });

  it('matches keys case-insensitively and through aliases, keeping other keys as attributes', () => {
    // Act
    const tx = ok(
      validateObject(
        { Time: '2024-03-01T12:00:00Z', Customer_ID: 'c1', AMT: '9.99', Location: 'fr', note: 'hi' },
        ctx(),
      ),
    );

    // Assess
    expect(tx).toMatchObject({ accountId: 'c1', amount: 99_900, country: 'FR', attributes: { note: 'hi' } });
  });

  it('applies a user map', () => {
    // Act
    const tx = ok(
      validateObject(
        { when: '2024-03-01', who: 'c1', total: 3 },
        ctx(),
        parseFieldMap('when=timestamp,who=account_id,total=amount'),
      ),
    );

    // Assess
    expect(tx).toMatchObject({ timestamp: Date.UTC(2024, 2, 1), accountId: 'c1', amount: 30_000 });
  });

  it('lists each missing required field', () => {
    // Act
    const errors = errorsOf(validateObject({ amount: 5, merchant: 'm' }, ctx()));

    // Assess
    expect(errors).toEqual([
      { column: 'timestamp', reason: 'is required' },
      { column: 'account_id', reason: 'is required' },
    ]);
  });

  it('lists missing required fields together with other field errors', () => {
    // Act
    const errors = errorsOf(validateObject({ account_id: 'a', amount: 'ten', currency: 'dollars' }, ctx()));

    // Assess
    expect(errors.map((e) => e.column)).toEqual(['timestamp', 'amount', 'currency']);
  });

  it('lists all three required fields for an empty object', () => {
    expect(errorsOf(validateObject({}, ctx()))).toEqual([
      { column: 'timestamp', reason: 'is required' },
      { column: 'account_id', reason: 'is required' },
      { column: 'amount', reason: 'is required' },
    ]);
  });

  it('treats null as absent', () => {
    expect(errorsOf(validateObject({ timestamp: 1709294400, account_id: 'a', amount: null }, ctx()))).toEqual([
      { column: 'amount', reason: 'is required' },
    ]);
  });

  it('rejects a float amount that is not a short decimal', () => {
    // 0.1 + 0.2 = 0.30000000000000004 has 17 decimal places
    expect(errorsOf(validateObject({ timestamp: 1709294400, account_id: 'a', amount: 0.1 + 0.2 }, ctx()))[0]?.reason).toContain(
      'more than 4 decimal places',
    );
  });

  it('rejects values that are neither strings nor numbers, naming the key', () => {
    // Act
    const errors = errorsOf(
      validateObject({ timestamp: 1709294400, account_id: { id: 1 }, amount: Number.POSITIVE_INFINITY }, ctx()),
    );

    // Assess
    expect(errors).toEqual([
      { column: 'account_id', reason: 'must be a string or a number' },
      { column: 'amount', reason: 'must be a finite number' },
    ]);
  });

  it.each([null, [], 'text', 42])('rejects the body %j', (body) => {
    expect(errorsOf(validateObject(body, ctx()))).toEqual([{ column: '(body)', reason: 'must be a JSON object' }]);
  });

  it('knows every field of the schema', () => {
    expect(FIELDS).toHaveLength(17);
  });
});

describe('card numbers in keys, headers and rejected values', () => {
  const shapes = canaries();
  const pans = shapes.map((c) => c.pan);

  it('masks a CSV column named like a card number in the mapping and in the attributes', () => {
    // Prepare
    const headers = ['timestamp', 'account_id', 'amount', ...shapes.map((c) => c.text)];
    const mapping = mapHeader(headers);

    // Act
    const tx = ok(validateRecord(['2026-01-01T00:00:00Z', 'A', '1.00', ...shapes.map((_, i) => `v${i}`)], mapping, ctx()));

    // Assess
    expect(leakedPans(JSON.stringify(mapping), pans)).toEqual([]);
    expect(leakedPans(JSON.stringify(tx), pans)).toEqual([]);
    expect(Object.keys(tx.attributes)).toHaveLength(shapes.length);
  });

  it('masks a JSON key named like a card number, kept or rejected', () => {
    // Prepare
    const kept = Object.fromEntries(shapes.map((c, i) => [c.text, `v${i}`]));
    const rejected = Object.fromEntries(shapes.map((c) => [c.text, { nested: true }]));
    const base = { timestamp: 1709294400, account_id: 'a', amount: 1 };

    // Act
    const tx = ok(validateObject({ ...base, ...kept }, ctx()));
    const errors = errorsOf(validateObject({ ...base, ...rejected }, ctx()));

    // Assess
    expect(leakedPans(JSON.stringify(tx), pans)).toEqual([]);
    expect(errors).toHaveLength(shapes.length);
    expect(leakedPans(JSON.stringify(errors), pans)).toEqual([]);
  });

  it.each(['timestamp', 'amount', 'currency', 'label', 'account_balance'])(
    'never echoes a card number typed into %s',
    (column) => {
      // Prepare
      const mapping = mapHeader(['timestamp', 'account_id', 'amount', 'currency', 'label', 'account_balance']);
      const good: Record<string, string> = {
        timestamp: '2026-01-01T00:00:00Z',
        account_id: 'A',
        amount: '1.00',
        currency: 'USD',
        label: '',
        account_balance: '',
      };

      for (const c of shapes) {
        // Act: the PAN alone, signed, and behind some text
        for (const value of [c.text, `-${c.text}`, `x ${c.text}`]) {
          const fields = mapping.headers.map((h) => (h === column ? value : (good[h] as string)));
          const result = validateRecord(fields, mapping, ctx());

          // Assess
          expect(result.ok, `${c.shape} in ${column}`).toBe(false);
          expect(leakedPans(JSON.stringify(result), pans), `${c.shape} in ${column}`).toEqual([]);
        }
      }
    },
  );

  it('never echoes a card number in a header error', () => {
    // Act
    const error = headerError(() => mapHeader(shapes.map((c) => c.text)));

    // Assess
    expect(leakedPans(error.message, pans)).toEqual([]);
  });
});

describe('an amount that is not positive', () => {
  it('is rejected without its card number: a 12-digit whole part and 4 decimals can be one', () => {
    // Prepare: a Luhn-valid 16-digit PAN written as -XXXXXXXXXXXX.XXXX, small enough to parse
    const pan = canaries().find((c) => c.pan.length === 16 && Number(c.pan.slice(0, 12)) < 9e11)?.pan ?? '';
    const amount = `-${pan.slice(0, 12)}.${pan.slice(12)}`;

    // Act
    const errors = errorsOf(validateObject({ timestamp: 1709294400, account_id: 'a', amount }, ctx()));

    // Assess
    expect(errors[0]?.reason).toMatch(/^must be greater than 0/);
    expect(leakedPans(JSON.stringify(errors), [pan])).toEqual([]);
  });
});
