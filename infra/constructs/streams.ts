import { Duration, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, KinesisEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { grantSecretRead, grantSend } from './access.js';
import { FraudminiFunction, type FraudminiFunctionProps } from './fraudminiFunction.js';
import { ENV } from '../../src/adapters/aws/tables.js';
import { lakeWriteAccess, scoringAccess, type ScoringResources } from './scoring.js';
import { FUNCTION_MEMORY_MB } from '../functionSizes.js';

export interface StreamScoringProps {
  resources: ScoringResources;
  /** The source: a Kinesis stream is created when `kinesis`, else the transactions table's stream is read. */
  source: { kind: 'kinesis'; tokenSecret: secretsmanager.ISecret } | { kind: 'table'; table: dynamodb.ITable };
  functionDefaults: Pick<FraudminiFunctionProps, 'logKey' | 'logRetentionDays' | 'logLevel' | 'network'>;
  reservedConcurrency: number;
}

/**
 * A record stream → a scoring function, with the failure handling both stream sources share:
 * per-record failure reports, the batch split in two on an error (so one poison record is
 * isolated in log2(batch) retries), 3 retries, records older than a day dropped, and what
 * still fails recorded (metadata only: shard, sequence numbers) on an on-failure queue.
 *
 * - `kinesis`: an on-demand, KMS-encrypted Kinesis stream → `stream`.
 * - `table`: the transactions table's stream (INSERTs only: the API stored a new transaction)
 *   → `tableStream`.
 */
export class StreamScoring extends Construct {
  /** The scoring function. */
  readonly fn: FraudminiFunction;
  /** Records that failed after all retries (metadata). */
  readonly failures: sqs.Queue;
  /** The Kinesis stream, for the `kinesis` source. */
  readonly stream?: kinesis.Stream;

  private readonly key: kms.IKey;

  constructor(scope: Construct, id: string, props: StreamScoringProps) {
    super(scope, id);
    const key = props.resources.messagingKey;
    this.key = key;
    this.failures = new sqs.Queue(this, 'Failures', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: key,
      dataKeyReuse: Duration.minutes(5),
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.failures).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the on-failure destination (a DLQ) of a stream event source mapping.',
    });
    const failureHandling = {
      batchSize: 100,
      maxBatchingWindow: Duration.seconds(1),
      bisectBatchOnError: true,
      reportBatchItemFailures: true,
      retryAttempts: 3,
      maxRecordAge: Duration.days(1),
      startingPosition: lambda.StartingPosition.TRIM_HORIZON,
      onFailure: this.onFailureDestination(),
    };
    const entry = props.source.kind === 'kinesis' ? 'stream' : 'tableStream';
    this.fn = new FraudminiFunction(this, entry === 'stream' ? 'Stream' : 'TableStream', {
      ...props.functionDefaults,
      entry,
      timeout: Duration.minutes(1),
      memorySize: FUNCTION_MEMORY_MB[entry],
      reservedConcurrency: props.reservedConcurrency,
      environment: {},
    });
    const env = { ...scoringAccess(this.fn.role, props.resources), ...lakeWriteAccess(this.fn.role, props.resources) };
    for (const [name, value] of Object.entries(env)) this.fn.fn.addEnvironment(name, value);

    if (props.source.kind === 'kinesis') {
      // Stream records are raw transactions, card numbers included: tokenised on entry.
      grantSecretRead(this.fn.role, props.source.tokenSecret, props.resources.dataKey);
      this.fn.fn.addEnvironment(ENV.tokenSecretArn, props.source.tokenSecret.secretArn);
      this.stream = new kinesis.Stream(this, 'KinesisStream', {
        streamMode: kinesis.StreamMode.ON_DEMAND,
        encryption: kinesis.StreamEncryption.KMS,
        encryptionKey: key,
        retentionPeriod: Duration.hours(24),
      });
      Validations.of(this.stream).acknowledge({
        id: 'AwsSolutions-KDS3',
        reason: 'Encrypted with the customer-managed messaging key on purpose (rotation, key policy, audit) rather than aws/kinesis.',
      });
      this.fn.fn.addEventSource(new KinesisEventSource(this.stream, failureHandling));
    } else {
      Validations.of(this.fn.role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'dynamodb:ListStreams (stream event source) and X-Ray PutTraceSegments/PutTelemetryRecords do not support resource-level permissions.',
      });
      this.fn.fn.addEventSource(
        new DynamoEventSource(props.source.table, {
          ...failureHandling,
          filters: [lambda.FilterCriteria.filter({ eventName: lambda.FilterRule.isEqual('INSERT') })],
        }),
      );
    }
  }

  /**
   * The mapping's on-failure queue, granted with exact actions: CDK's `SqsDlq` grants
   * `kms:GenerateDataKey*` and `kms:ReEncrypt*` on the key.
   */
  private onFailureDestination(): lambda.IEventSourceDlq {
    const failures = this.failures;
    return {
      bind: (_target, targetHandler) => {
        if (targetHandler.role !== undefined) grantSend(targetHandler.role, failures, this.key);
        return { destination: failures.queueArn };
      },
    };
  }
}
