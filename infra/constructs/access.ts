/**
 * Least-privilege grants written out action by action. CDK's convenience grants add wildcard
 * actions (`s3:GetObject*`, `kms:GenerateDataKey*`, `kms:ReEncrypt*`) and whole-bucket
 * `s3:List*`; these helpers give exactly the calls the adapters make, on exactly the
 * resources (object prefixes, named indexes), so cdk-nag's IAM5 has nothing to flag.
 */
import { Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
// cdk-nag's own rendering of a resource in its finding ids (deep import: not re-exported).
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import { TABLES, type TableDef, type TableName } from '../../src/adapters/aws/tables.js';

// No Scan here: only the console's backtest reads a whole table, through grantTableScan (pinned by an infra test).
const TABLE_READ = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:DescribeTable'];
const TABLE_WRITE = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:ConditionCheckItem',
];

/** Item reads and writes on a table and its named indexes (not the stream), plus the data key. */
export function grantTableData(role: iam.IRole, table: dynamodb.ITable, name: TableName, key: kms.IKey): void {
  const def: TableDef = TABLES[name];
  const indexes = (def.globalIndexes ?? []).map((i) => `${table.tableArn}/index/${i.name}`);
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({ actions: [...TABLE_READ, ...TABLE_WRITE], resources: [table.tableArn, ...indexes] }),
  );
  grantKey(role, key, 'kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey');
}

/**
 * `dynamodb:Scan` on one table (not its indexes): for the console's backtest, which reads the
 * decisions table whole (it has no index by time). The data key comes with `grantTableData`.
 */
export function grantTableScan(role: iam.IRole, table: dynamodb.ITable): void {
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['dynamodb:Scan'], resources: [table.tableArn] }));
}

/** Exact KMS actions on one key. */
export function grantKey(role: iam.IRole, key: kms.IKey, ...actions: string[]): void {
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions, resources: [key.keyArn] }));
}

/** `sqs:SendMessage` (SendMessageBatch uses the same action) on a KMS-encrypted queue. */
export function grantSend(role: iam.IRole, queue: sqs.IQueue, key: kms.IKey): void {
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [queue.queueArn] }));
  grantKey(role, key, 'kms:GenerateDataKey', 'kms:Decrypt');
}

/** `sns:Publish` on a KMS-encrypted topic. */
export function grantPublish(role: iam.IRole, topic: sns.ITopic, key: kms.IKey): void {
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [topic.topicArn] }));
  grantKey(role, key, 'kms:GenerateDataKey', 'kms:Decrypt');
}

/** Object actions under key prefixes of an SSE-KMS bucket (`prefixes` like `inbox/`). */
export function grantObjects(
  role: iam.IRole,
  bucket: s3.IBucket,
  prefixes: string[],
  actions: ('s3:GetObject' | 's3:PutObject' | 's3:DeleteObject' | 's3:AbortMultipartUpload')[],
  key: kms.IKey,
): void {
  const resources = prefixes.map((p) => bucket.arnForObjects(`${p}*`));
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions, resources }));
  acknowledgePrefixes(
    role,
    resources,
    `Objects under ${prefixes.join(', ')} only: the narrowest S3 resource for keys not known in advance (${actions.join(', ')}).`,
  );
  const writes = actions.some((a) => a !== 's3:GetObject' && a !== 's3:DeleteObject');
  // Reading needs Decrypt; writing needs GenerateDataKey, and Decrypt for multipart uploads.
  grantKey(role, key, ...(writes ? ['kms:Decrypt', 'kms:GenerateDataKey'] : ['kms:Decrypt']));
}

/**
 * `s3:ListBucket` on a bucket, so that reading a missing key answers 404 (not found) rather
 * than 403: ingest checks whether a raw file or a receipt still exists when it resumes.
 */
export function grantList(role: iam.IRole, bucket: s3.IBucket): void {
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucket.bucketArn] }));
}

/**
 * Reads a secret encrypted with a customer-managed key. Written out because
 * `Secret.grantRead` puts the role into the key policy, which lives in the stateful stack:
 * that stack would then depend on the pipeline stack (a cycle).
 */
export function grantSecretRead(role: iam.IRole, secret: secretsmanager.ISecret, key: kms.IKey): void {
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [secret.secretArn] }),
  );
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['kms:Decrypt'],
      resources: [key.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${Stack.of(role).region}.amazonaws.com` } },
    }),
  );
}

/**
 * Acknowledges cdk-nag's IAM5 finding for object-prefix resources (`<bucket ARN>/inbox/*`):
 * a key prefix cannot be granted without a wildcard. The finding id embeds the resource as
 * CloudFormation renders it, which for a cross-stack bucket is only known once references are
 * resolved, so the acknowledgement is computed in a validation hook, which runs after that
 * and before the cdk-nag packs.
 */
function acknowledgePrefixes(role: iam.IRole, resources: string[], reason: string): void {
  role.node.addValidation({
    validate: () => {
      for (const resource of resources) {
        const flat = flattenCfnReference(Stack.of(role).resolve(resource));
        Validations.of(role).acknowledge({ id: `AwsSolutions-IAM5[Resource::${flat}]`, reason });
      }
      return [];
    },
  });
}
