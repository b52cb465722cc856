import { Duration, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV, type TableName } from '../../src/adapters/aws/tables.js';
import { grantList, grantObjects, grantSecretRead, grantSend, grantTableData } from './access.js';
import { FraudminiFunction, type FraudminiFunctionProps } from './fraudminiFunction.js';
import { QueueWithDlq } from './queueWithDlq.js';
import { FUNCTION_MEMORY_MB } from '../functionSizes.js';

export interface IngestionProps {
  rawBucket: s3.IBucket;
  refinedBucket: s3.IBucket;
  tables: Record<TableName, dynamodb.ITable>;
  tokenSecret: secretsmanager.ISecret;
  dataKey: kms.IKey;
  messagingKey: kms.IKey;
  /** Where ingest sends transaction batches. */
  transactionsQueue: sqs.IQueue;
  maxReceiveCount: number;
  functionDefaults: Pick<FraudminiFunctionProps, 'logKey' | 'logRetentionDays' | 'logLevel' | 'network'>;
  reservedConcurrency: number;
}

/**
 * `inbox/*.csv` in the raw bucket → S3 notification → the `raw-events` queue → `ingest`, which
 * streams the file into transaction batches on the transactions queue and writes the receipt
 * and masked copy to the refined bucket (`processed/` or `failed/`).
 */
export class Ingestion extends Construct {
  /** S3 `ObjectCreated` events for `inbox/*.csv`. */
  readonly rawEvents: QueueWithDlq;
  /** The `ingest` function. */
  readonly ingest: FraudminiFunction;

  constructor(scope: Construct, id: string, props: IngestionProps) {
    super(scope, id);
    // The longest Lambda timeout: a large file is streamed in one invocation and resumes from
    // its checkpoint in the state table if it still runs out of time.
    const timeout = Duration.minutes(15);
    this.rawEvents = new QueueWithDlq(this, 'RawEvents', {
      consumerTimeout: timeout,
      key: props.messagingKey,
      maxReceiveCount: props.maxReceiveCount,
    });
    // Imported by attributes so the notification (a custom resource) lives in this stack: were
    // it attached to the stateful stack's bucket, that stack would reference this stack's queue
    // while this stack references its bucket — a cycle.
    const raw = s3.Bucket.fromBucketAttributes(this, 'RawBucketRef', {
      bucketArn: props.rawBucket.bucketArn,
      bucketName: props.rawBucket.bucketName,
    });
    raw.addEventNotification(s3.EventType.OBJECT_CREATED, new s3n.SqsDestination(this.rawEvents.queue), {
      prefix: 'inbox/',
      suffix: '.csv',
    });

    const notifications = raw.node.tryFindChild('Notifications');
    if (notifications) {
      Validations.of(notifications).acknowledge({
        id: 'PCI.DSS.321-IAMNoInlinePolicy',
        reason: 'CDK\'s bucket-notification custom resource: its inline policy allows only s3:PutBucketNotification on the raw bucket.',
      });
    }
    const handler = Stack.of(this).node.tryFindChild('BucketNotificationsHandler050a0587b7544547bf325f094a3db834');
    if (handler) {
      Validations.of(handler).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason: 'CDK\'s bucket-notification custom resource (runs only at deploy time); its role and policy are not configurable.',
      });
    }

    this.ingest = new FraudminiFunction(this, 'Ingest', {
      ...props.functionDefaults,
      entry: 'ingest',
      timeout,
      memorySize: FUNCTION_MEMORY_MB.ingest,
      reservedConcurrency: props.reservedConcurrency,
      // A file that outlasts one run continues by a message to its own trigger queue; each
      // continuation starts from a later checkpoint, so the loop ends with the file.
      allowRecursiveLoop: true,
      environment: {
        [ENV.rawBucket]: props.rawBucket.bucketName,
        [ENV.rawEventsQueueUrl]: this.rawEvents.queue.queueUrl,
        [ENV.refinedBucket]: props.refinedBucket.bucketName,
        [ENV.transactionsQueueUrl]: props.transactionsQueue.queueUrl,
        [ENV.stateTable]: props.tables.state.tableName,
        [ENV.idempotencyTable]: props.tables.idempotency.tableName,
        [ENV.tokenSecretArn]: props.tokenSecret.secretArn,
      },
    });
    const role = this.ingest.role;
    grantObjects(role, props.rawBucket, ['inbox/'], ['s3:GetObject', 's3:DeleteObject'], props.dataKey);
    // Read too: a resumed or redelivered file checks for an earlier receipt under the same name.
    grantObjects(
      role,
      props.refinedBucket,
      ['processed/', 'failed/'],
      ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload'],
      props.dataKey,
    );
    grantList(role, props.rawBucket);
    grantList(role, props.refinedBucket);
    grantSend(role, props.transactionsQueue, props.messagingKey);
    grantSend(role, this.rawEvents.queue, props.messagingKey);
    grantTableData(role, props.tables.state, 'state', props.dataKey);
    grantTableData(role, props.tables.idempotency, 'idempotency', props.dataKey);
    grantSecretRead(role, props.tokenSecret, props.dataKey);
    // One file per invocation: a file can take minutes, and a failure retries only that file.
    this.ingest.fn.addEventSource(
      new SqsEventSource(this.rawEvents.queue, { batchSize: 1, reportBatchItemFailures: true }),
    );
  }
}
