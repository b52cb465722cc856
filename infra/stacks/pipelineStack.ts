import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { type Construct } from 'constructs';
import type { TableName } from '../../src/adapters/aws/tables.js';
import type { InfraConfig } from '../config.js';
import { Alerts } from '../constructs/alerts.js';
import { Api } from '../constructs/api.js';
import { ConsoleSite } from '../constructs/consoleSite.js';
import type { FraudminiFunction } from '../constructs/fraudminiFunction.js';
import { Ingestion } from '../constructs/ingestion.js';
import { DecisionLake } from '../constructs/lake.js';
import { Monitoring } from '../constructs/monitoring.js';
import { Network } from '../constructs/network.js';
import { Scoring, type ScoringResources } from '../constructs/scoring.js';
import { shadowChallengerAccess } from '../constructs/shadow.js';
import { StreamScoring } from '../constructs/streams.js';

/** The stateful stack's resources the pipeline uses (cross-stack references). */
export interface PipelineStackProps extends StackProps {
  config: InfraConfig;
  dataKey: kms.IKey;
  messagingKey: kms.IKey;
  rawBucket: s3.IBucket;
  refinedBucket: s3.IBucket;
  tables: Record<TableName, dynamodb.ITable>;
  tokenSecret: secretsmanager.ISecret;
}

/**
 * The stateless part: queues, functions, topics, the API, the stream, alarms. It can be
 * destroyed and redeployed freely; everything that holds data is in the stateful stack.
 */
export class PipelineStack extends Stack {
  /** Units, exposed for tests. */
  readonly alerts: Alerts;
  readonly scoring: Scoring;
  readonly ingestion: Ingestion;
  readonly api: Api;
  readonly kinesisScoring?: StreamScoring;
  /** Present when the API only stores (`apiMode=store`). */
  readonly tableScoring?: StreamScoring;
  readonly monitoring: Monitoring;
  /** The Glue database and table over the decision lake, and the Athena workgroup. */
  readonly lake: DecisionLake;
  /** Present with `-c vpc=true`: the functions' VPC and endpoints. */
  readonly network?: Network;

  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    super(scope, id, props);
    const { config } = props;
    if (config.vpc) {
      this.network = new Network(this, 'Network', { logKey: props.messagingKey, logRetentionDays: config.logRetentionDays });
    }
    const functionDefaults = {
      logKey: props.messagingKey,
      logRetentionDays: config.logRetentionDays,
      logLevel: config.logLevel,
      ...(this.network
        ? { network: { vpc: this.network.vpc, securityGroup: this.network.functionSecurityGroup } }
        : {}),
    };

    this.alerts = new Alerts(this, 'Alerts', {
      messagingKey: props.messagingKey,
      dataKey: props.dataKey,
      idempotencyTable: props.tables.idempotency,
      maxReceiveCount: config.maxReceiveCount,
      functionDefaults,
      reservedConcurrency: config.concurrency.notify,
      ...(config.alertEmail === undefined ? {} : { alertEmail: config.alertEmail }),
    });
    const resources: ScoringResources = {
      tables: props.tables,
      refinedBucket: props.refinedBucket,
      dataKey: props.dataKey,
      messagingKey: props.messagingKey,
      suspiciousQueue: this.alerts.suspicious.queue,
      model: config.model,
      labelDelay: config.labelDelay,
    };
    this.scoring = new Scoring(this, 'Scoring', {
      resources,
      maxReceiveCount: config.maxReceiveCount,
      functionDefaults,
      reservedConcurrency: config.concurrency.score,
    });
    this.ingestion = new Ingestion(this, 'Ingestion', {
      rawBucket: props.rawBucket,
      refinedBucket: props.refinedBucket,
      tables: props.tables,
      tokenSecret: props.tokenSecret,
      dataKey: props.dataKey,
      messagingKey: props.messagingKey,
      transactionsQueue: this.scoring.transactions.queue,
      maxReceiveCount: config.maxReceiveCount,
      functionDefaults,
      reservedConcurrency: config.concurrency.ingest,
    });
    this.api = new Api(this, 'Api', {
      resources,
      transactionsTable: props.tables.transactions,
      tokenSecret: props.tokenSecret,
      logKey: props.messagingKey,
      rateLimit: config.apiRateLimit,
      burstLimit: config.apiBurstLimit,
      mode: config.apiMode,
      waf: config.waf,
      front: config.api,
      functionDefaults,
      reservedConcurrency: config.concurrency.api,
    });
    if (config.kinesis) {
      this.kinesisScoring = new StreamScoring(this, 'KinesisScoring', {
        resources,
        source: { kind: 'kinesis', tokenSecret: props.tokenSecret },
        functionDefaults,
        reservedConcurrency: config.concurrency.stream,
      });
    }
    if (config.apiMode === 'store') {
      this.tableScoring = new StreamScoring(this, 'TableStreamScoring', {
        resources,
        source: { kind: 'table', table: props.tables.transactions },
        functionDefaults,
        reservedConcurrency: config.concurrency.tableStream,
      });
    }

    shadowChallengerAccess(
      [this.scoring.score, ...(this.kinesisScoring ? [this.kinesisScoring.fn] : []), ...(this.tableScoring ? [this.tableScoring.fn] : [])],
      { refinedBucket: props.refinedBucket, dataKey: props.dataKey, model: config.shadowModel, rules: config.shadowRules },
    );

    const functions: Record<string, FraudminiFunction> = {
      Ingest: this.ingestion.ingest,
      Score: this.scoring.score,
      Api: this.api.api,
      Notify: this.alerts.notify,
      ...(this.tableScoring ? { TableStream: this.tableScoring.fn } : {}),
      ...(this.kinesisScoring ? { Stream: this.kinesisScoring.fn } : {}),
    };
    const deadLetterQueues: Record<string, sqs.IQueue> = {
      RawEvents: this.ingestion.rawEvents.dlq,
      Transactions: this.scoring.transactions.dlq,
      Suspicious: this.alerts.suspicious.dlq,
      ...(this.tableScoring ? { TableStreamFailures: this.tableScoring.failures } : {}),
      ...(this.kinesisScoring ? { StreamFailures: this.kinesisScoring.failures } : {}),
    };
    this.monitoring = new Monitoring(this, 'Monitoring', {
      messagingKey: props.messagingKey,
      functions,
      deadLetterQueues,
      queues: {
        'raw-events': this.ingestion.rawEvents.queue,
        transactions: this.scoring.transactions.queue,
        suspicious: this.alerts.suspicious.queue,
      },
      api: this.api.metrics,
      ...(config.opsEmail === undefined ? {} : { opsEmail: config.opsEmail }),
    });

    if (config.console) new ConsoleSite(this, 'Console', { api: this.api, stateTable: props.tables.state, decisionsTable: props.tables.decisions, logRetentionDays: config.logRetentionDays });

    this.lake = new DecisionLake(this, 'Lake', { refinedBucket: props.refinedBucket, dataKey: props.dataKey });

    new CfnOutput(this, 'RawBucketName', { value: props.rawBucket.bucketName, description: 'Drop CSV files under inbox/' });
    new CfnOutput(this, 'RefinedBucketName', { value: props.refinedBucket.bucketName, description: 'Receipts, masked copies, models/model.json' });
    new CfnOutput(this, 'ApiUrl', { value: this.api.url });
    new CfnOutput(this, 'AlertsTopicArn', { value: this.alerts.topic.topicArn });
    new CfnOutput(this, 'LakeDatabase', { value: this.lake.databaseName, description: 'Glue database of the decision lake (table: decisions)' });
    new CfnOutput(this, 'AthenaWorkgroup', { value: this.lake.workgroup.ref, description: 'Query the lake in this workgroup' });
    new CfnOutput(this, 'OpsTopicArn', { value: this.monitoring.opsTopic.topicArn });
    if (this.kinesisScoring?.stream) new CfnOutput(this, 'StreamName', { value: this.kinesisScoring.stream.streamName });
  }
}
