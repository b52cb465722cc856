import { Duration, RemovalPolicy, Stack, type StackProps, Validations, type CfnResource } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { type Construct, type IConstruct } from 'constructs';
import { TABLES, type KeyDef, type TableDef, type TableName } from '../../src/adapters/aws/tables.js';
import { PROVISIONED_CAPACITY } from '../capacity.js';
import { ATHENA_RESULTS_PREFIX } from '../constructs/lake.js';

/** Days Athena query results stay in the refined bucket. */
export const ATHENA_RESULTS_DAYS = 30;

/** Lifecycle settings of the buckets (from context). */
export interface StatefulStackProps extends StackProps {
  /** DynamoDB capacity mode of every table. @default 'on-demand' */
  capacity?: 'on-demand' | 'provisioned';
  glacierAfterDays: number;
  retentionDays: number;
  inboxExpireDays: number;
}

/**
 * Everything that holds data and must outlive a redeploy: the two customer-managed keys, the
 * buckets and the tables, and the tokenisation secret. Every resource here is RETAIN and has a
 * pinned logical ID (`pin()`), so moving a construct in the code can never make CloudFormation
 * replace — and so empty — a bucket or a table. The pipeline stack receives these objects as
 * props (cross-stack references).
 */
export class StatefulStack extends Stack {
  /**
   * Encrypts data at rest: buckets, tables, the tokenisation secret. Separate from
   * `messagingKey` so that the service principals messaging needs (S3 notifications, CloudWatch
   * alarms, CloudWatch Logs) are never granted use of the key that protects stored transactions,
   * and so that an S3 → SQS notification does not make the bucket and the queue depend on each
   * other through one key policy (a CloudFormation cycle).
   */
  readonly dataKey: kms.Key;
  /** Encrypts data in transit between stages: SQS queues, SNS topics, the Kinesis stream, log groups. */
  readonly messagingKey: kms.Key;
  /** Server access logs of the other buckets. */
  readonly logsBucket: s3.Bucket;
  /** CSV files arrive in `inbox/`. */
  readonly rawBucket: s3.Bucket;
  /** Masked copies and receipts (`processed/`, `failed/`) and the model (`models/`). */
  readonly refinedBucket: s3.Bucket;
  /** The DynamoDB tables of `TABLES`, by name. */
  readonly tables: Record<TableName, dynamodb.Table>;
  /** The PAN tokenisation (HMAC) key. */
  readonly tokenSecret: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: StatefulStackProps) {
    super(scope, id, props);

    this.dataKey = pin(
      new kms.Key(this, 'DataKey', {
        description: 'fraudmini data at rest: buckets, tables, tokenisation secret',
        enableKeyRotation: true,
        removalPolicy: RemovalPolicy.RETAIN,
      }),
      'DataKey',
    );
    this.messagingKey = pin(
      new kms.Key(this, 'MessagingKey', {
        description: 'fraudmini data in transit: queues, topics, stream, logs',
        enableKeyRotation: true,
        removalPolicy: RemovalPolicy.RETAIN,
      }),
      'MessagingKey',
    );
    this.allowServiceUseOfMessagingKey();

    this.logsBucket = pin(
      new s3.Bucket(this, 'LogsBucket', {
        // S3 server access logging can only deliver to a bucket encrypted with SSE-S3.
        encryption: s3.BucketEncryption.S3_MANAGED,
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
        enforceSSL: true,
        versioned: true,
        objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        removalPolicy: RemovalPolicy.RETAIN,
        lifecycleRules: [
          { id: 'expire-access-logs', expiration: Duration.days(props.retentionDays), noncurrentVersionExpiration: Duration.days(30) },
        ],
      }),
      'LogsBucket',
    );
    Validations.of(this.logsBucket).acknowledge(
      {
        id: 'AwsSolutions-S1',
        reason: 'This is the access-log destination itself; logging it into itself would loop.',
      },
      {
        id: 'PCI.DSS.321-S3BucketLoggingEnabled',
        reason: 'This is the access-log destination itself; logging it into itself would loop.',
      },
      {
        id: 'PCI.DSS.321-S3DefaultEncryptionKMS',
        reason: 'S3 server access logging only delivers to SSE-S3 buckets; the logs hold request metadata, never transaction data.',
      },
      {
        id: 'PCI.DSS.321-S3BucketReplicationEnabled',
        reason: 'Single-region deployment; access logs are versioned and retained, a replica region is a per-deployment choice.',
      },
    );

    this.rawBucket = pin(
      this.dataBucket('RawBucket', 'raw', [
        {
          id: 'expire-unprocessed-inbox',
          prefix: 'inbox/',
          // Ingest deletes each file once processed; anything still here is stuck and must not linger.
          expiration: Duration.days(props.inboxExpireDays),
        },
      ]),
      'RawBucket',
    );
    const archive = (prefix: string): s3.LifecycleRule => ({
      id: `archive-${prefix.replace('/', '')}`,
      prefix,
      transitions: [{ storageClass: s3.StorageClass.GLACIER, transitionAfter: Duration.days(props.glacierAfterDays) }],
      expiration: Duration.days(props.retentionDays),
    });
    this.refinedBucket = pin(
      this.dataBucket('RefinedBucket', 'refined', [
        archive('processed/'),
        archive('failed/'),
        {
          id: 'expire-athena-results',
          prefix: ATHENA_RESULTS_PREFIX,
          // Query results are copies of what the lake holds, kept for re-reading a recent result only.
          expiration: Duration.days(ATHENA_RESULTS_DAYS),
        },
      ]),
      'RefinedBucket',
    );

    this.tables = Object.fromEntries(
      (Object.keys(TABLES) as TableName[]).map((name) => [name, this.table(name, props.capacity ?? 'on-demand')]),
    ) as Record<TableName, dynamodb.Table>;

    this.tokenSecret = pin(
      new secretsmanager.Secret(this, 'TokenSecret', {
        description: 'fraudmini PAN tokenisation key (HMAC); read by the handlers on cold start',
        encryptionKey: this.dataKey,
        generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
        removalPolicy: RemovalPolicy.RETAIN,
      }),
      'TokenSecret',
    );
    const noRotation =
      'Rotating the tokenisation key changes every card token and breaks per-card history (velocity, ' +
      'labels); it is rotated by a planned re-tokenisation, not on a schedule.';
    Validations.of(this.tokenSecret).acknowledge({ id: 'AwsSolutions-SMG4', reason: noRotation });
  }

  /** A private, versioned, SSE-KMS bucket with access logs; PUTs asking for weaker encryption are denied. */
  private dataBucket(id: string, logPrefix: string, lifecycleRules: s3.LifecycleRule[]): s3.Bucket {
    const bucket = new s3.Bucket(this, id, {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.dataKey,
      // One KMS call per bucket-key period instead of per object: the main KMS cost saver.
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.logsBucket,
      serverAccessLogsPrefix: `${logPrefix}/`,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        ...lifecycleRules,
        { id: 'expire-old-versions', noncurrentVersionExpiration: Duration.days(30), abortIncompleteMultipartUploadAfter: Duration.days(7) },
      ],
    });
    // Default encryption already covers PUTs without an encryption header; these deny a PUT that
    // asks for anything weaker than SSE-KMS, or for another key.
    bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DenyUnencryptedObjectUploads',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:PutObject'],
        resources: [bucket.arnForObjects('*')],
        conditions: { StringNotEqualsIfExists: { 's3:x-amz-server-side-encryption': 'aws:kms' } },
      }),
    );
    bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DenyOtherKmsKeys',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:PutObject'],
        resources: [bucket.arnForObjects('*')],
        conditions: { StringNotEqualsIfExists: { 's3:x-amz-server-side-encryption-aws-kms-key-id': this.dataKey.keyArn } },
      }),
    );
    Validations.of(bucket).acknowledge({
      id: 'PCI.DSS.321-S3BucketReplicationEnabled',
      reason: 'Single-region deployment: durability comes from versioning and S3 itself; a replica region is a per-deployment choice.',
    });
    return bucket;
  }

  /**
   * A table from its `TABLES` definition: PITR, the data key, RETAIN; on demand, or provisioned
   * with auto scaling of the table and each index ({@link PROVISIONED_CAPACITY}).
   */
  private table(name: TableName, capacity: 'on-demand' | 'provisioned'): dynamodb.Table {
    const def: TableDef = TABLES[name];
    const attr = (key: KeyDef): dynamodb.Attribute => ({
      name: key.name,
      type: key.type === 'N' ? dynamodb.AttributeType.NUMBER : dynamodb.AttributeType.STRING,
    });
    const provisioned = capacity === 'provisioned';
    const floor = { readCapacity: PROVISIONED_CAPACITY.minUnits, writeCapacity: PROVISIONED_CAPACITY.minUnits };
    const id = `${name[0]?.toUpperCase() ?? ''}${name.slice(1)}Table`;
    const table = new dynamodb.Table(this, id, {
      partitionKey: attr(def.partitionKey),
      ...(def.sortKey ? { sortKey: attr(def.sortKey) } : {}),
      ...(def.ttl ? { timeToLiveAttribute: def.ttl } : {}),
      ...(def.stream ? { stream: dynamodb.StreamViewType.NEW_IMAGE } : {}),
      ...(provisioned ? { billingMode: dynamodb.BillingMode.PROVISIONED, ...floor } : { billingMode: dynamodb.BillingMode.PAY_PER_REQUEST }),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.dataKey,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const index of def.globalIndexes ?? []) {
      table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: attr(index.partitionKey),
        ...(index.sortKey ? { sortKey: attr(index.sortKey) } : {}),
        ...(provisioned ? floor : {}),
      });
    }
    if (provisioned) {
      const target = { targetUtilizationPercent: PROVISIONED_CAPACITY.targetUtilizationPercent };
      const reads = { minCapacity: PROVISIONED_CAPACITY.minUnits, maxCapacity: PROVISIONED_CAPACITY.maxReadUnits };
      const writes = { minCapacity: PROVISIONED_CAPACITY.minUnits, maxCapacity: PROVISIONED_CAPACITY.maxWriteUnits };
      table.autoScaleReadCapacity(reads).scaleOnUtilization(target);
      table.autoScaleWriteCapacity(writes).scaleOnUtilization(target);
      for (const index of def.globalIndexes ?? []) {
        table.autoScaleGlobalSecondaryIndexReadCapacity(index.name, reads).scaleOnUtilization(target);
        table.autoScaleGlobalSecondaryIndexWriteCapacity(index.name, writes).scaleOnUtilization(target);
      }
    }
    return pin(table, id);
  }

  /**
   * The services that write into queues, topics and log groups on our behalf need the
   * messaging key: CloudWatch alarms publish to the ops topic, CloudWatch Logs encrypts the log
   * groups. (S3 → SQS is granted by the notification itself.)
   */
  private allowServiceUseOfMessagingKey(): void {
    this.messagingKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
      }),
    );
    this.messagingKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchLogs',
        principals: [new iam.ServicePrincipal(`logs.${this.region}.amazonaws.com`)],
        actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncryptFrom', 'kms:ReEncryptTo', 'kms:GenerateDataKey', 'kms:DescribeKey'],
        resources: ['*'],
        conditions: {
          ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:${this.partition}:logs:${this.region}:${this.account}:log-group:*` },
        },
      }),
    );
  }
}

/**
 * Pins the CloudFormation logical ID of a stateful resource. The default ID is derived from the
 * construct path, so refactoring the tree would replace the resource; a pinned ID makes the
 * resource's identity explicit (and tested in `test/infra`).
 */
export function pin<T extends IConstruct>(construct: T, logicalId: string): T {
  (construct.node.defaultChild as CfnResource).overrideLogicalId(logicalId);
  return construct;
}
