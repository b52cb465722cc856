import { createHash } from 'node:crypto';
import { parseDecimal } from './decimal.js';
import { type FieldError, HeaderError, MappingError } from './errors.js';
import { maskPansInText, type PanTokenizer, tokenisePansInText } from './pan.js';
import { quote } from './quote.js';
import { parseTimestamp } from './timestamp.js';
import type { Label, Transaction } from './transaction.js';
import { detached } from './strings.js';

/** Canonical field names of the transaction schema (DESIGN.md). */
export const FIELDS = [
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
] as const;

/** A canonical field name. */
export type Field = (typeof FIELDS)[number];

/** Fields every transaction must have. */
export const REQUIRED_FIELDS: readonly Field[] = ['timestamp', 'account_id', 'amount'];

/** Other names recognised for a field when its own name is absent (compared normalised). */
const ALIASES: Partial<Record<Field, string[]>> = {
  transaction_id: ['txn_id', 'tx_id', 'transaction', 'trans_id', 'transactionid'],
  timestamp: ['time', 'datetime', 'date_time', 'tx_datetime', 'transaction_time', 'event_time', 'ts', 'date'],
  account_id: ['customer_id', 'account', 'customer', 'account_number', 'accountid', 'customerid'],
  card_number: ['pan', 'card', 'card_no', 'cc_num', 'card_num'],
  amount: ['tx_amount', 'amt', 'transaction_amount'],
  merchant: ['merchant_name', 'merchant_id'],
  merchant_category: ['mcc', 'category', 'merchant_category_code'],
  terminal_id: ['terminal'],
  country: ['location', 'country_code', 'tx_country'],
  origin_country: ['source_country', 'from_country'],
  destination_country: ['dest_country', 'to_country'],
  account_balance: ['balance', 'balance_before', 'old_balance'],
  device_id: ['device'],
  ip: ['ip_address'],
  label: ['is_fraud', 'fraud', 'tx_fraud', 'isfraud', 'class'],
};

/** Normalises a header or key: case-insensitive, spaces and dashes as underscores. */
export function normaliseName(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');
}

const CANONICAL = new Set<string>(FIELDS);
const ALIAS_TO_FIELD = new Map<string, Field>();
for (const [field, names] of Object.entries(ALIASES) as [Field, string[]][]) {
  for (const n of names) ALIAS_TO_FIELD.set(n, field);
}

/** A user's own names for our fields: `{ THEIR_NAME: 'our_name' }`. */
export type FieldMap = Record<string, Field>;

/**
 * Parses `--map THEIR=ours,OTHER=ours2` into a {@link FieldMap}.
 * @example parseFieldMap('cust=account_id,amt_usd=amount')
 */
export function parseFieldMap(spec: string): FieldMap {
  const map: FieldMap = {};
  for (const part of spec.split(',')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0) throw new MappingError(`--map entry "${part}" is not THEIR_NAME=our_name`);
    const theirs = part.slice(0, eq).trim();
    const ours = normaliseName(part.slice(eq + 1));
    if (!CANONICAL.has(ours)) {
      throw new MappingError(`--map entry "${part}": "${ours}" is not a field; fields are ${FIELDS.join(', ')}`);
    }
    map[theirs] = ours as Field;
  }
  return map;
}

/** How the columns of one input map onto the schema. */
export interface ColumnMapping {
  /**
   * Input header names as given, with PAN-shaped text masked: they name columns in rejections,
   * errors and attributes, so a column named like a card number never carries one there.
   */
  headers: string[];
  /** For each canonical field, the input column index, or -1. */
  index: Record<Field, number>;
  /** Input columns that are not fields, kept as attributes: [index, name]. */
  attributes: [number, string][];
}

/**
 * Maps a header row onto the schema: the user's map first, then exact names, then aliases.
 * Throws {@link HeaderError} when a required field has no column or two columns claim one.
 */
export function mapHeader(
  given: string[],
  userMap: FieldMap = {},
  file?: string,
  options: { requireAll?: boolean } = {},
): ColumnMapping {
  const headers = given.map(maskPansInText);
  const index = Object.fromEntries(FIELDS.map((f) => [f, -1])) as Record<Field, number>;
  const normalisedUser = new Map(Object.entries(userMap).map(([k, v]) => [normaliseName(k), v]));
  const claimed = new Set<number>();
  const claim = (field: Field, i: number, how: string): void => {
    if (index[field] !== -1 && index[field] !== i) {
      throw new HeaderError(
        `columns "${headers[index[field]]}" and "${headers[i]}" both map to ${field} (${how}); use --map to choose`,
        file,
      );
    }
    index[field] = i;
    claimed.add(i);
  };
  const names = given.map(normaliseName);
  if (names.every((n) => n === '')) throw new HeaderError('the header row is empty', file);
  for (const [i, n] of names.entries()) {
    const f = normalisedUser.get(n);
    if (f) claim(f, i, '--map');
  }
  for (const [i, n] of names.entries()) {
    if (!claimed.has(i) && CANONICAL.has(n) && index[n as Field] === -1) claim(n as Field, i, 'name');
  }
  for (const [i, n] of names.entries()) {
    const f = ALIAS_TO_FIELD.get(n);
    if (!claimed.has(i) && f && index[f] === -1) claim(f, i, 'alias');
  }
  const missing = REQUIRED_FIELDS.filter((f) => index[f] === -1);
  if (missing.length > 0 && options.requireAll !== false) {
    const unmappedUser = [...normalisedUser.keys()].filter((k) => !names.includes(k));
    throw new HeaderError(
      `the header has no column for ${missing.join(', ')} (columns: ${headers.map((h) => quote(h)).join(', ')})` +
        (unmappedUser.length > 0 ? `; --map names columns that are not in the file: ${unmappedUser.map(maskPansInText).join(', ')}` : '') +
        `; map your own names with --map THEIR_NAME=${missing[0]}`,
      file,
    );
  }
  const attributes: [number, string][] = [];
  for (const [i, h] of headers.entries()) if (!claimed.has(i) && h.trim() !== '') attributes.push([i, h.trim()]);
  return { headers, index, attributes };
}

/** Context to derive ids and tokenise cards while validating. */
export interface ValidationContext {
  tokenizer: PanTokenizer;
  /** Identifies the source (file key): with the row number it derives a missing transaction_id. */
  sourceKey: string;
  /** 1-based data row number, for derived ids. */
  row: number;
  defaultCurrency?: string;
  /**
   * Whether the transaction keeps the extra (unmapped) columns as `attributes`. A caller that
   * never reads or stores them (`fraudmini score`) skips building them; a value over the length
   * cap still rejects the row either way. @default true
   */
  attributes?: boolean;
}

/** The attributes of a transaction built without them (frozen: nothing may add to it). */
const NO_ATTRIBUTES: Record<string, string> = Object.freeze({}) as Record<string, string>;

/** Outcome of validating one row: a transaction, or every problem found in it. */
export type RowResult = { ok: true; transaction: Transaction } | { ok: false; errors: FieldError[] };

const CURRENCY = /^[A-Z]{3}$/;
const MAX_TEXT = 256;

/**
 * Validates one CSV record against a {@link ColumnMapping}. Never throws for bad data: every
 * problem is returned with the user's column name and a reason.
 */
export function validateRecord(fields: string[], mapping: ColumnMapping, ctx: ValidationContext): RowResult {
  if (fields.length > mapping.headers.length && fields.slice(mapping.headers.length).some((f) => f.trim() !== '')) {
    return {
      ok: false,
      errors: [
        { column: '(row)', reason: `row has ${fields.length} fields but the header has ${mapping.headers.length}` },
      ],
    };
  }
  const keep = ctx.attributes !== false;
  const attributes: Record<string, string> = keep ? {} : NO_ATTRIBUTES;
  let longAttributes: FieldError[] | undefined;
  for (const [i, name] of mapping.attributes) {
    const v = fields[i];
    if (v === undefined || v === '') continue;
    // Capped like the known text fields: whatever a column holds is stored and shown per transaction.
    if (v.length > MAX_TEXT) (longAttributes ??= []).push({ column: name, reason: `is longer than ${MAX_TEXT} characters` });
    else if (keep) attributes[name] = detached(maskPansInText(v));
  }
  const result = buildTransaction(fields, mapping, attributes, ctx);
  if (!longAttributes) return result;
  return { ok: false, errors: result.ok ? longAttributes : [...result.errors, ...longAttributes] };
}

/**
 * Validates a JSON object (an HTTP body or a stream record). Keys are matched like CSV headers
 * (case-insensitive, aliases); numbers are accepted for amount, balance and epoch timestamps.
 */
export function validateObject(body: unknown, ctx: ValidationContext, userMap: FieldMap = NO_FIELD_MAP): RowResult {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return { ok: false, errors: [{ column: '(body)', reason: 'must be a JSON object' }] };
  }
  const record = body as Record<string, unknown>;
  // Keys, then each value read by its key: no [key, value] array per field as Object.entries makes.
  const keys = Object.keys(record);
  if (keys.length === 0) {
    return { ok: false, errors: REQUIRED_FIELDS.map((f) => ({ column: f, reason: 'is required' })) };
  }
  let mapping: ColumnMapping;
  try {
    mapping = bodyMapping(keys, userMap);
  } catch (e) {
    if (e instanceof HeaderError) return { ok: false, errors: [{ column: '(body)', reason: e.message }] };
    throw e;
  }
  const values: string[] = [];
  const typeErrors: FieldError[] = [];
  for (const k of keys) {
    const v = record[k];
    if (v === null || v === undefined) values.push('');
    else if (typeof v === 'string') values.push(v);
    else if (typeof v === 'number') {
      // String(n) is the shortest exact decimal for a double; parseDecimal then checks it.
      if (Number.isFinite(v)) values.push(String(v));
      else typeErrors.push({ column: maskPansInText(k), reason: 'must be a finite number' });
    } else if (typeof v === 'boolean') values.push(v ? '1' : '0');
    else typeErrors.push({ column: maskPansInText(k), reason: 'must be a string or a number' });
  }
  if (typeErrors.length > 0) return { ok: false, errors: typeErrors };
  return validateRecord(values, mapping, ctx);
}

/** The field map of callers that have none: one object, so their body mappings are remembered too. */
const NO_FIELD_MAP: FieldMap = {};

/** The body shapes mapped for one field map, and the last one used. */
interface BodyMappings {
  byShape: Map<string, ColumnMapping>;
  lastKeys: readonly string[];
  last: ColumnMapping | undefined;
}

/** Mappings of the body shapes seen, per field map: clients send few shapes, so each is mapped once, not per POST. */
const bodyMappings = new WeakMap<FieldMap, BodyMappings>();
/** Distinct body shapes remembered per field map; past this the memo starts over (bounded memory). */
const BODY_MAPPINGS_KEPT = 64;

/**
 * The mapping of a JSON body's keys (missing required keys are left to validateRecord). Pure.
 * A client sends the same keys in the same order body after body: those are compared key by key
 * with the last body's before the key list is serialised to look its shape up.
 */
function bodyMapping(keys: string[], userMap: FieldMap): ColumnMapping {
  let memo = bodyMappings.get(userMap);
  if (!memo) {
    memo = { byShape: new Map(), lastKeys: [], last: undefined };
    bodyMappings.set(userMap, memo);
  }
  if (memo.last !== undefined && sameKeys(keys, memo.lastKeys)) return memo.last;
  // JSON of the key list: unambiguous, whatever characters the keys hold.
  const shape = JSON.stringify(keys);
  let mapping = memo.byShape.get(shape);
  if (!mapping) {
    mapping = mapHeader(keys, userMap, undefined, { requireAll: false });
    if (memo.byShape.size >= BODY_MAPPINGS_KEPT) memo.byShape.clear();
    memo.byShape.set(shape, mapping);
  }
  memo.lastKeys = keys;
  memo.last = mapping;
  return mapping;
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

// The helpers below take the record and mapping as arguments instead of closing over them:
// validation runs once per row, and four closures per row were a measurable share of ingest.

/**
 * The trimmed value of column `i` (a field's `mapping.index`) in `fields`, or undefined when the
 * input has no such column (-1). Callers read the index by name (`mapping.index.amount`): one
 * load, where a name computed here would be a megamorphic lookup per field and row.
 */
function cell(fields: readonly string[], i: number): string | undefined {
  if (i === -1) return undefined;
  const v = fields[i];
  return v === undefined ? undefined : v.trim();
}

/** The user's name for the column of `f` (the field name when it has none), for error messages. */
function columnOf(mapping: ColumnMapping, f: Field): string {
  const i = mapping.index[f];
  return i === -1 ? f : (mapping.headers[i] ?? f).trim() || f;
}

/**
 * An optional free-text field: undefined when empty; too long is an error; PAN-shaped text masked,
 * or, given a tokenizer (identifiers: see {@link tokenisePansInText}), masked and tokenised.
 */
function textCell(
  fields: readonly string[],
  i: number,
  mapping: ColumnMapping,
  f: Field,
  errors: FieldError[],
  tokenizer?: PanTokenizer,
): string | undefined {
  const v = cell(fields, i);
  if (v === undefined || v === '') return undefined;
  if (v.length > MAX_TEXT) {
    errors.push({ column: columnOf(mapping, f), reason: `is longer than ${MAX_TEXT} characters` });
    return undefined;
  }
  if (!tokenizer) return detached(maskPansInText(v));
  const id = tokenisePansInText(v, tokenizer);
  if (id.length > MAX_TEXT) {
    // Each card number gains its token: a stored value stays within the limit all the same.
    errors.push({ column: columnOf(mapping, f), reason: `is longer than ${MAX_TEXT} characters once the card number in it is tokenised` });
    return undefined;
  }
  return detached(id);
}

function buildTransaction(
  fields: readonly string[],
  mapping: ColumnMapping,
  attributes: Record<string, string>,
  ctx: ValidationContext,
): RowResult {
  const errors: FieldError[] = [];
  const fail = (f: Field, reason: string): void => {
    errors.push({ column: columnOf(mapping, f), reason });
  };

  const rawTs = cell(fields, mapping.index.timestamp);
  let timestamp = 0;
  if (rawTs === undefined || rawTs === '') fail('timestamp', 'is required');
  else {
    const t = parseTimestamp(rawTs);
    if (t.ok) timestamp = t.value;
    else fail('timestamp', t.reason);
  }

  const accountId = textCell(fields, mapping.index.account_id, mapping, 'account_id', errors, ctx.tokenizer);
  if (accountId === undefined && !errors.some((e) => e.column === columnOf(mapping, 'account_id'))) {
    fail('account_id', 'is required');
  }

  const rawAmount = cell(fields, mapping.index.amount);
  let amount = 0;
  if (rawAmount === undefined || rawAmount === '') fail('amount', 'is required');
  else {
    const a = parseDecimal(rawAmount);
    if (!a.ok) fail('amount', a.reason);
    else if (a.value <= 0) fail('amount', `must be greater than 0 (got ${maskPansInText(rawAmount)})`);
    else amount = a.value;
  }

  let currency = ctx.defaultCurrency ?? 'USD';
  const rawCurrency = cell(fields, mapping.index.currency);
  if (rawCurrency) {
    const c = rawCurrency.toUpperCase();
    if (CURRENCY.test(c)) currency = c;
    else fail('currency', `${quote(rawCurrency, 20)} is not an ISO 4217 code such as USD`);
  }

  let accountBalance: number | undefined;
  const rawBalance = cell(fields, mapping.index.account_balance);
  if (rawBalance) {
    const b = parseDecimal(rawBalance);
    if (b.ok) accountBalance = b.value;
    else fail('account_balance', b.reason);
  }

  let label: Label | undefined;
  const rawLabel = cell(fields, mapping.index.label);
  if (rawLabel) {
    const l = parseLabel(rawLabel);
    if (l === undefined) fail('label', `${quote(rawLabel, 20)} is not 1/0, fraud/legit or true/false`);
    else label = l;
  }

  const rawCard = cell(fields, mapping.index.card_number);
  let card: Transaction['card'];
  if (rawCard) {
    if (rawCard.length > 64) fail('card_number', 'is longer than 64 characters');
    else card = ctx.tokenizer(rawCard);
  }

  const merchant = textCell(fields, mapping.index.merchant, mapping, 'merchant', errors, ctx.tokenizer);
  const merchantCategory = textCell(fields, mapping.index.merchant_category, mapping, 'merchant_category', errors);
  const terminalId = textCell(fields, mapping.index.terminal_id, mapping, 'terminal_id', errors, ctx.tokenizer);
  const country = upper(textCell(fields, mapping.index.country, mapping, 'country', errors));
  const originCountry = upper(textCell(fields, mapping.index.origin_country, mapping, 'origin_country', errors));
  const destinationCountry = upper(textCell(fields, mapping.index.destination_country, mapping, 'destination_country', errors));
  const channel = textCell(fields, mapping.index.channel, mapping, 'channel', errors);
  const deviceId = textCell(fields, mapping.index.device_id, mapping, 'device_id', errors, ctx.tokenizer);
  const ip = textCell(fields, mapping.index.ip, mapping, 'ip', errors);
  let transactionId = textCell(fields, mapping.index.transaction_id, mapping, 'transaction_id', errors, ctx.tokenizer);

  if (errors.length > 0) return { ok: false, errors };
  if (transactionId === undefined) transactionId = deriveTransactionId(ctx.sourceKey, ctx.row);

  // Every field is set, absent ones as undefined, in one order: every transaction then has the
  // same hidden class, and the code that reads them (rules, features, encoders) stays
  // monomorphic. Fields added only when present gave a shape per combination of empty columns.
  const tx: Transaction = {
    transactionId,
    timestamp,
    accountId: accountId as string,
    card,
    amount,
    currency,
    merchant,
    merchantCategory,
    terminalId,
    country,
    originCountry,
    destinationCountry,
    accountBalance,
    channel,
    deviceId,
    ip,
    label,
    attributes,
  };
  return { ok: true, transaction: tx };
}

/**
 * A stable id for a row without one: the same file key and row always give the same id, so
 * re-ingesting a file is idempotent.
 */
export function deriveTransactionId(sourceKey: string, row: number): string {
  const h = createHash('sha256').update(sourceKey).update('\0').update(String(row)).digest('base64url');
  return `tx_${h.slice(0, 20)}`;
}

/** Reads a label: `1`/`fraud`/`true`/`yes` is 1, `0`/`legit`/`false`/`no` is 0. */
export function parseLabel(raw: string): Label | undefined {
  switch (raw.toLowerCase()) {
    case '1':
    case '1.0':
    case 'true':
    case 'yes':
    case 'fraud':
      return 1;
    case '0':
    case '0.0':
    case 'false':
    case 'no':
    case 'legit':
      return 0;
    default:
      return undefined;
  }
}

function upper(v: string | undefined): string | undefined {
  return v === undefined ? undefined : v.toUpperCase();
}
