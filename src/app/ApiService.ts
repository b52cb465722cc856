import type { Decision } from '../core/scoring.js';
import type { Label, Transaction } from '../core/transaction.js';
import type { LabelResult } from './recordLabel.js';
import type { Alert } from '../core/views.js';
import type { RulesUseCases } from './replaceRules.js';
import type { AlertQuery, Stats, StoredTransaction } from '../core/records.js';

export type { LabelResult } from './recordLabel.js';

/** What submitting a transaction did: decided now, decided before, or (store-only) accepted for scoring. */
export type SubmitResult =
  | { kind: 'decided'; decision: Decision; duplicate: boolean }
  | { kind: 'accepted'; duplicate: boolean };

/**
 * Everything the HTTP API does, behind one async interface: the local runtime (SQLite, in-memory
 * features) and the AWS `api` handler (DynamoDB) each provide one, and the same routes serve both,
 * so the contract cannot drift between them.
 */
export interface ApiService {
  /** Scores a validated, tokenised transaction (idempotent on its id). */
  submit(tx: Transaction): Promise<SubmitResult>;
  getTransaction(id: string): Promise<StoredTransaction | undefined>;
  listAlerts(q: AlertQuery): Promise<Alert[]>;
  stats(): Promise<Stats>;
  /** Version of the rule set in force. */
  rulesVersion(): Promise<string>;
  /** Records a known outcome; absent: the label route answers 501. */
  label?: (id: string, label: Label) => Promise<LabelResult>;
  /** Reads and replaces the rule set; absent: the rules routes are not served. */
  rules?: RulesUseCases;
}
