import type { Decision } from '../../core/scoring.js';
import type { Transaction } from '../../core/transaction.js';

/** How a lake column is stored in Parquet; each maps to one Glue/Athena type ({@link glueType}). */
export type LakeColumnKind = 'string' | 'json' | 'timestamp' | 'decimal' | 'double' | 'int';

/** One column of the decision lake: its name, kind, whether it may be null, and what it holds. */
export interface LakeColumn {
  name: string;
  kind: LakeColumnKind;
  nullable: boolean;
  doc: string;
}

/** Precision and scale of money columns: amounts are kept exactly, to 4 decimals (as stored). */
export const LAKE_DECIMAL = { precision: 18, scale: 4 } as const;

/**
 * The decision lake's columns, in file order: the one definition used by the Parquet writer
 * (Lambda and `fraudmini export`) and by the Glue table in the CDK app, so the two cannot drift.
 * The card appears only as its token, BIN, last 4 and masked form; the partition column `date`
 * is in the object key (`date=YYYY-MM-DD/`), not in the files.
 */
export const LAKE_COLUMNS: readonly LakeColumn[] = [
  { name: 'transaction_id', kind: 'string', nullable: false, doc: 'transaction id' },
  { name: 'event_time', kind: 'timestamp', nullable: false, doc: 'when the transaction happened (UTC)' },
  { name: 'account_id', kind: 'string', nullable: false, doc: 'account or customer' },
  { name: 'card_token', kind: 'string', nullable: true, doc: 'keyed HMAC of the card number' },
  { name: 'card_masked', kind: 'string', nullable: true, doc: 'masked card, BIN and last 4 only' },
  { name: 'card_bin', kind: 'string', nullable: true, doc: 'issuer BIN (first 6 digits)' },
  { name: 'card_last4', kind: 'string', nullable: true, doc: 'last 4 digits' },
  { name: 'amount', kind: 'decimal', nullable: false, doc: 'amount in currency units' },
  { name: 'currency', kind: 'string', nullable: false, doc: 'ISO 4217 code' },
  { name: 'merchant', kind: 'string', nullable: true, doc: 'merchant' },
  { name: 'merchant_category', kind: 'string', nullable: true, doc: 'merchant category' },
  { name: 'terminal_id', kind: 'string', nullable: true, doc: 'terminal' },
  { name: 'country', kind: 'string', nullable: true, doc: 'where the transaction happened' },
  { name: 'origin_country', kind: 'string', nullable: true, doc: 'transfer origin' },
  { name: 'destination_country', kind: 'string', nullable: true, doc: 'transfer destination' },
  { name: 'account_balance', kind: 'decimal', nullable: true, doc: 'balance before the transaction' },
  { name: 'channel', kind: 'string', nullable: true, doc: 'channel' },
  { name: 'device_id', kind: 'string', nullable: true, doc: 'device' },
  { name: 'ip', kind: 'string', nullable: true, doc: 'client IP' },
  { name: 'label', kind: 'int', nullable: true, doc: 'known outcome on arrival (1 fraud, 0 legit)' },
  { name: 'outcome', kind: 'string', nullable: false, doc: 'allow, review or block' },
  { name: 'score', kind: 'double', nullable: false, doc: 'combined score 0-100' },
  { name: 'rules_score', kind: 'double', nullable: false, doc: 'weighted rules score 0-100' },
  { name: 'model_score', kind: 'double', nullable: true, doc: 'model score 0-100, null without a model' },
  { name: 'model_version', kind: 'string', nullable: true, doc: 'model version' },
  { name: 'rules_version', kind: 'string', nullable: false, doc: 'rule set version' },
  { name: 'rule_ids', kind: 'string', nullable: false, doc: 'ids of the rules that fired, comma-separated' },
  { name: 'reasons', kind: 'json', nullable: false, doc: 'reasons as JSON: [{rule, weight, detail}]' },
  { name: 'decided_at', kind: 'timestamp', nullable: false, doc: 'when the decision was made (UTC)' },
  { name: 'attributes', kind: 'json', nullable: true, doc: 'the input columns fraudmini does not know, as JSON' },
];

/** The Hive partition column (in the key, `date=YYYY-MM-DD/`), by the transaction's UTC day. */
export const LAKE_PARTITION = 'date';

/** The Glue/Athena type of a column kind. */
export function glueType(kind: LakeColumnKind): string {
  switch (kind) {
    case 'string':
    case 'json':
      return 'string';
    case 'timestamp':
      return 'timestamp';
    case 'decimal':
      return `decimal(${LAKE_DECIMAL.precision},${LAKE_DECIMAL.scale})`;
    case 'double':
      return 'double';
    case 'int':
      return 'int';
  }
}

/** A value of one lake cell: money as its exact E4 integer (bigint), times as Date. */
export type LakeValue = string | number | bigint | Date | null;

/** One row of the lake, keyed by column name. */
export type LakeRow = Record<string, LakeValue>;

/**
 * A decided transaction as a lake row. It holds no card number: only the token, BIN, last 4
 * and the masked form the transaction already carries.
 */
export function lakeRow(tx: Transaction, d: Decision): LakeRow {
  return {
    transaction_id: tx.transactionId,
    event_time: new Date(tx.timestamp),
    account_id: tx.accountId,
    card_token: tx.card?.token ?? null,
    card_masked: tx.card?.masked ?? null,
    card_bin: tx.card?.bin ?? null,
    card_last4: tx.card?.last4 ?? null,
    amount: BigInt(tx.amount),
    currency: tx.currency,
    merchant: tx.merchant ?? null,
    merchant_category: tx.merchantCategory ?? null,
    terminal_id: tx.terminalId ?? null,
    country: tx.country ?? null,
    origin_country: tx.originCountry ?? null,
    destination_country: tx.destinationCountry ?? null,
    account_balance: tx.accountBalance === undefined ? null : BigInt(tx.accountBalance),
    channel: tx.channel ?? null,
    device_id: tx.deviceId ?? null,
    ip: tx.ip ?? null,
    label: tx.label ?? null,
    outcome: d.outcome,
    score: d.score,
    rules_score: d.rules_score,
    model_score: d.model_score,
    model_version: d.model_version,
    rules_version: d.rules_version,
    rule_ids: d.reasons.map((r) => r.rule).join(','),
    reasons: JSON.stringify(d.reasons.map((r) => ({ rule: r.rule, weight: r.weight, detail: r.detail }))),
    decided_at: new Date(d.decided_at),
    attributes: Object.keys(tx.attributes).length > 0 ? JSON.stringify(tx.attributes) : null,
  };
}

/** The partition (`YYYY-MM-DD`, UTC) a transaction's row belongs to. */
export function lakeDate(timestampMs: number): string {
  return new Date(timestampMs).toISOString().slice(0, 10);
}

/** Groups rows by partition date, in first-seen order. */
export function byLakeDate(rows: readonly LakeRow[]): Map<string, LakeRow[]> {
  const out = new Map<string, LakeRow[]>();
  for (const r of rows) {
    const date = lakeDate((r.event_time as Date).getTime());
    let list = out.get(date);
    if (!list) out.set(date, (list = []));
    list.push(r);
  }
  return out;
}

/** The S3 prefix of the decision lake in the refined bucket (the Glue table's location). */
export const LAKE_PREFIX = 'lake/decisions/';
