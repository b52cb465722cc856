/**
 * The DynamoDB tables of the AWS runtime, as plain data: one source of truth for the CDK app
 * (`infra/`), the adapters and the emulator tests (which create the same tables on dynalite).
 * All keys are strings unless a type says otherwise; billing is on demand.
 */
export interface KeyDef {
  name: string;
  type: 'S' | 'N';
}

export interface TableDef {
  partitionKey: KeyDef;
  sortKey?: KeyDef;
  /** TTL attribute (epoch seconds), when items expire. */
  ttl?: string;
  /** A stream of new images, when something consumes the table's changes. */
  stream?: boolean;
  globalIndexes?: { name: string; partitionKey: KeyDef; sortKey?: KeyDef }[];
}

export const TABLES = {
  /**
   * Transactions as received (tokenised, never a PAN), keyed by transaction id. Its stream feeds
   * the `table-stream` handler for the path where the API only stores.
   */
  transactions: { partitionKey: { name: 'id', type: 'S' }, stream: true },
  /**
   * One decision per transaction id (conditional put: re-delivery never makes a second). Alerted
   * decisions carry `alertDay` and `alertId`, which makes the sparse `alerts` index. The index
   * must project all attributes (the CDK default): `listAlerts` reads the `alert` body from it.
   * Layout: `DynamoDecisionStore`.
   */
  decisions: {
    partitionKey: { name: 'id', type: 'S' },
    globalIndexes: [
      { name: 'alerts', partitionKey: { name: 'alertDay', type: 'S' }, sortKey: { name: 'alertId', type: 'N' } },
    ],
  },
  /**
   * Windowed feature state: per entity, one item per UTC day and scoring batch holding that
   * batch's events of the entity packed in one binary attribute, e.g. `account#A1` /
   * `001767225600000~<hash>`, and labels learned later as events at their known time
   * (`001767225600000!label#tx-1`), kept for the longest window plus lateness and label delay
   * (TTL, 45 days by default). Layout: `DynamoFeatureHistory`.
   */
  features: {
    partitionKey: { name: 'entity', type: 'S' },
    sortKey: { name: 'event', type: 'S' },
    ttl: 'expiresAt',
  },
  /**
   * Small state in one table (`pk` says which): `rules` / `active` and `v#<version>`
   * (`DynamoRulesStore`); `stats` / `counters` and `seq` / `alerts` (`DynamoDecisionStore`);
   * `file#<bucket/key>` / `<etag>` and its rejection chunks (`DynamoIngestCheckpoints`);
   * `label#<id>` / `label` (`DynamoLabelStore`); `shadow#<shard>#<versions>` / `<id>` and
   * `shadow` / `latest` (`DynamoShadowStore`).
   */
  state: { partitionKey: { name: 'pk', type: 'S' }, sortKey: { name: 'sk', type: 'S' } },
  /** Powertools idempotency records. */
  idempotency: { partitionKey: { name: 'id', type: 'S' }, ttl: 'expiration' },
} as const satisfies Record<string, TableDef>;

export type TableName = keyof typeof TABLES;

/**
 * Environment variables the handlers read (set by the CDK app; set by tests for the emulators).
 * Physical names are never fixed in code: CloudFormation generates them.
 */
export const ENV = {
  rawBucket: 'RAW_BUCKET',
  refinedBucket: 'REFINED_BUCKET',
  /** The queue of S3 events; ingest sends itself a continuation there when a file outlasts one run. */
  rawEventsQueueUrl: 'RAW_EVENTS_QUEUE_URL',
  transactionsQueueUrl: 'TRANSACTIONS_QUEUE_URL',
  /** Rows ingest hands off (and checkpoints) at a time. @default 2000 */
  ingestBatchRows: 'FRAUDMINI_INGEST_BATCH_ROWS',
  /** Longest CSV row ingest takes, in characters (a longer one is rejected). @default 65536 */
  maxRecord: 'FRAUDMINI_MAX_RECORD',
  suspiciousQueueUrl: 'SUSPICIOUS_QUEUE_URL',
  alertsTopicArn: 'ALERTS_TOPIC_ARN',
  transactionsTable: 'TRANSACTIONS_TABLE',
  decisionsTable: 'DECISIONS_TABLE',
  featuresTable: 'FEATURES_TABLE',
  stateTable: 'STATE_TABLE',
  idempotencyTable: 'IDEMPOTENCY_TABLE',
  /** `s3://bucket/key` of the model file, when a model is used. */
  modelUri: 'MODEL_URI',
  /** `s3://bucket/key` of a challenger model scored in shadow (`-c shadowModel=true`). */
  shadowModelUri: 'FRAUDMINI_SHADOW_MODEL_URI',
  /** `s3://bucket/key` of a challenger rules document scored in shadow (`-c shadowRules=true`). */
  shadowRulesUri: 'FRAUDMINI_SHADOW_RULES_URI',
  /** ARN of the Secrets Manager secret holding the PAN tokenisation key (read once per cold start). */
  tokenSecretArn: 'FRAUDMINI_TOKEN_SECRET_ARN',
  /** The tokenisation key itself, instead of a secret (tests and emulators only). */
  tokenKey: 'FRAUDMINI_TOKEN_KEY',
  /** Label delay, e.g. `7d`. */
  labelDelay: 'FRAUDMINI_LABEL_DELAY',
  /** `score` (default): POST /transactions decides synchronously; `store`: it stores, the table stream scores. */
  apiMode: 'FRAUDMINI_API_MODE',
  /** API key required by the API handler (API Gateway also checks its own usage-plan key). */
  apiKey: 'FRAUDMINI_API_KEY',
} as const;
