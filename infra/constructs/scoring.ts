import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { LAKE_PREFIX } from '../../src/adapters/aws/lakeSchema.js';
import { ENV, type TableName } from '../../src/adapters/aws/tables.js';
import { grantObjects, grantSend, grantTableData } from './access.js';
import { FraudminiFunction, type FraudminiFunctionProps } from './fraudminiFunction.js';
import { QueueWithDlq } from './queueWithDlq.js';
import { FUNCTION_MEMORY_MB } from '../functionSizes.js';

/** What every scoring function (score, stream, tableStream, api) needs from the stateful stack. */
export interface ScoringResources {
  tables: Record<TableName, dynamodb.ITable>;
  refinedBucket: s3.IBucket;
  dataKey: kms.IKey;
  messagingKey: kms.IKey;
  suspiciousQueue: sqs.IQueue;
  /** Score with the model in `models/model.json` of the refined bucket. */
  model: boolean;
  labelDelay: string;
}

/** The object key of the model in the refined bucket. */
export const MODEL_KEY = 'models/model.json';

/**
 * Environment and grants of a function that scores: decisions, features, state and
 * idempotency tables read/write; risky decisions to the suspicious queue; the model object
 * (only `models/`, only when the model is on).
 */
export function scoringAccess(role: iam.IRole, r: ScoringResources): Record<string, string> {
  for (const name of ['decisions', 'features', 'state', 'idempotency'] as const) {
    grantTableData(role, r.tables[name], name, r.dataKey);
  }
  grantSend(role, r.suspiciousQueue, r.messagingKey);
  if (r.model) grantObjects(role, r.refinedBucket, ['models/'], ['s3:GetObject'], r.dataKey);
  return {
    [ENV.decisionsTable]: r.tables.decisions.tableName,
    [ENV.featuresTable]: r.tables.features.tableName,
    [ENV.stateTable]: r.tables.state.tableName,
    [ENV.idempotencyTable]: r.tables.idempotency.tableName,
    [ENV.suspiciousQueueUrl]: r.suspiciousQueue.queueUrl,
    [ENV.labelDelay]: r.labelDelay,
    ...(r.model ? { [ENV.modelUri]: `s3://${r.refinedBucket.bucketName}/${MODEL_KEY}` } : {}),
  };
}


/**
 * Environment and grant of a function that writes scored batches to the decision lake:
 * `s3:PutObject` under `lake/decisions/` of the refined bucket only, and the data key to encrypt.
 */
export function lakeWriteAccess(role: iam.IRole, r: ScoringResources): Record<string, string> {
  grantObjects(role, r.refinedBucket, [LAKE_PREFIX], ['s3:PutObject'], r.dataKey);
  return { [ENV.refinedBucket]: r.refinedBucket.bucketName };
}

export interface ScoringProps {
  resources: ScoringResources;
  maxReceiveCount: number;
  functionDefaults: Pick<FraudminiFunctionProps, 'logKey' | 'logRetentionDays' | 'logLevel' | 'network'>;
  reservedConcurrency: number;
}

/** The `transactions` queue (batches of transactions from ingest) → `score`. */
export class Scoring extends Construct {
  /** Ingest sends transaction batches here. */
  readonly transactions: QueueWithDlq;
  /** The `score` function. */
  readonly score: FraudminiFunction;

  constructor(scope: Construct, id: string, props: ScoringProps) {
    super(scope, id);
    const timeout = Duration.minutes(2);
    this.transactions = new QueueWithDlq(this, 'Transactions', {
      consumerTimeout: timeout,
      key: props.resources.messagingKey,
      maxReceiveCount: props.maxReceiveCount,
    });
    this.score = new FraudminiFunction(this, 'Score', {
      ...props.functionDefaults,
      entry: 'score',
      timeout,
      memorySize: FUNCTION_MEMORY_MB.score,
      reservedConcurrency: props.reservedConcurrency,
      environment: {},
    });
    const env = { ...scoringAccess(this.score.role, props.resources), ...lakeWriteAccess(this.score.role, props.resources) };
    for (const [name, value] of Object.entries(env)) this.score.fn.addEnvironment(name, value);
    // Each message already carries many transactions; 10 messages per invocation with a short
    // window amortises the cold start, rules/model cache and the per-invocation cost, while a
    // failed message is reported alone (partial batch response) and retried alone.
    this.score.fn.addEventSource(
      new SqsEventSource(this.transactions.queue, {
        batchSize: 10,
        maxBatchingWindow: Duration.seconds(5),
        reportBatchItemFailures: true,
      }),
    );
  }
}
