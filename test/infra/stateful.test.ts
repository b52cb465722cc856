import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, test } from 'vitest';
import { TABLES, type TableDef } from '../../src/adapters/aws/tables.js';
import { resourcesOf, synthApp, templateOf, type CfnTemplate, type Statement } from './helpers/synth.js';

const STACK = 'Fraudmini-dev-Stateful';
let json: CfnTemplate;
let template: Template;

beforeAll(() => {
  const result = synthApp();
  json = templateOf(result, STACK);
  template = Template.fromJSON(json);
});

describe('stateful stack: identity and retention', () => {
  test('keys, buckets, tables and the secret keep their exact logical IDs', () => {
    // Prepare
    const ids = (type: string): string[] => resourcesOf(json, type).map(([id]) => id).sort();
    // Act / Assess
    expect(ids('AWS::KMS::Key')).toEqual(['DataKey', 'MessagingKey']);
    expect(ids('AWS::S3::Bucket')).toEqual(['LogsBucket', 'RawBucket', 'RefinedBucket']);
    expect(ids('AWS::DynamoDB::Table')).toEqual(
      ['DecisionsTable', 'FeaturesTable', 'IdempotencyTable', 'StateTable', 'TransactionsTable'],
    );
    expect(ids('AWS::SecretsManager::Secret')).toEqual(['TokenSecret']);
  });

  test('every stateful resource is retained on delete and on replacement', () => {
    // Prepare
    const stateful = ['AWS::KMS::Key', 'AWS::S3::Bucket', 'AWS::DynamoDB::Table', 'AWS::SecretsManager::Secret'].flatMap(
      (type) => resourcesOf(json, type),
    );
    // Assess: 2 keys, 3 buckets, 5 tables, 1 secret
    expect(stateful).toHaveLength(11);
    for (const [id, resource] of stateful) {
      expect({ id, deletion: resource.DeletionPolicy, replace: resource.UpdateReplacePolicy }).toEqual({
        id,
        deletion: 'Retain',
        replace: 'Retain',
      });
    }
  });

  test('both customer-managed keys rotate', () => {
    const keys = resourcesOf(json, 'AWS::KMS::Key');
    expect(keys).toHaveLength(2);
    for (const [, key] of keys) {
      expect(key.Properties?.EnableKeyRotation).toBe(true);
    }
  });
});

describe('stateful stack: tables', () => {
  test.each(Object.entries(TABLES) as [string, TableDef][])('%s matches its TABLES definition', (name, def) => {
    // Prepare
    const logicalId = `${name[0]?.toUpperCase() ?? ''}${name.slice(1)}Table`;
    const keySchema = [
      { AttributeName: def.partitionKey.name, KeyType: 'HASH' },
      ...(def.sortKey ? [{ AttributeName: def.sortKey.name, KeyType: 'RANGE' }] : []),
    ];
    // Act
    const table = json.Resources[logicalId]?.Properties ?? {};
    // Assess
    expect(table.KeySchema).toEqual(keySchema);
    expect(table.BillingMode).toBe('PAY_PER_REQUEST');
    expect(table.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(table.SSESpecification).toEqual({
      SSEEnabled: true,
      SSEType: 'KMS',
      KMSMasterKeyId: { 'Fn::GetAtt': ['DataKey', 'Arn'] },
    });
    expect(table.TimeToLiveSpecification).toEqual(def.ttl ? { AttributeName: def.ttl, Enabled: true } : undefined);
    expect(table.StreamSpecification).toEqual(def.stream ? { StreamViewType: 'NEW_IMAGE' } : undefined);
    expect((table.GlobalSecondaryIndexes as { IndexName: string; KeySchema: unknown }[] | undefined)?.map((i) => [i.IndexName, i.KeySchema])).toEqual(
      def.globalIndexes?.map((i) => [
        i.name,
        [
          { AttributeName: i.partitionKey.name, KeyType: 'HASH' },
          ...(i.sortKey ? [{ AttributeName: i.sortKey.name, KeyType: 'RANGE' }] : []),
        ],
      ]),
    );
  });
});

describe('stateful stack: buckets', () => {
  const policyOf = (bucket: string): Statement[] => {
    const policy = resourcesOf(json, 'AWS::S3::BucketPolicy').find(([, p]) => JSON.stringify(p.Properties?.Bucket) === JSON.stringify({ Ref: bucket }));
    return ((policy?.[1].Properties?.PolicyDocument as { Statement: Statement[] } | undefined)?.Statement) ?? [];
  };

  test.each(['LogsBucket', 'RawBucket', 'RefinedBucket'])('%s denies requests without TLS', (bucket) => {
    expect(policyOf(bucket)).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
  });

  test.each(['RawBucket', 'RefinedBucket'])('%s denies PUTs asking for weaker encryption or another key', (bucket) => {
    // Act
    const statements = policyOf(bucket);
    // Assess
    expect(statements).toContainEqual(
      expect.objectContaining({
        Sid: 'DenyUnencryptedObjectUploads',
        Effect: 'Deny',
        Action: 's3:PutObject',
        Condition: { StringNotEqualsIfExists: { 's3:x-amz-server-side-encryption': 'aws:kms' } },
      }),
    );
    expect(statements).toContainEqual(
      expect.objectContaining({
        Sid: 'DenyOtherKmsKeys',
        Effect: 'Deny',
        Action: 's3:PutObject',
        Condition: { StringNotEqualsIfExists: { 's3:x-amz-server-side-encryption-aws-kms-key-id': { 'Fn::GetAtt': ['DataKey', 'Arn'] } } },
      }),
    );
  });

  test.each(['RawBucket', 'RefinedBucket'])('%s is private, versioned, SSE-KMS with a bucket key, access-logged', (bucket) => {
    expect(json.Resources[bucket]?.Properties).toMatchObject({
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      VersioningConfiguration: { Status: 'Enabled' },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          {
            BucketKeyEnabled: true,
            ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': ['DataKey', 'Arn'] } },
          },
        ],
      },
      LoggingConfiguration: { DestinationBucketName: { Ref: 'LogsBucket' } },
    });
  });

  test('refined processed/ and failed/ go to Glacier after 180 days and expire after 2555', () => {
    // Act
    const rules = (json.Resources.RefinedBucket?.Properties?.LifecycleConfiguration as { Rules: Record<string, unknown>[] }).Rules;
    // Assess
    for (const prefix of ['processed/', 'failed/']) {
      expect(rules).toContainEqual(
        expect.objectContaining({
          Prefix: prefix,
          Status: 'Enabled',
          ExpirationInDays: 2555,
          Transitions: [{ StorageClass: 'GLACIER', TransitionInDays: 180 }],
        }),
      );
    }
  });

  test('raw inbox/ objects expire after 30 days as a safety net', () => {
    const rules = (json.Resources.RawBucket?.Properties?.LifecycleConfiguration as { Rules: Record<string, unknown>[] }).Rules;
    expect(rules).toContainEqual(expect.objectContaining({ Prefix: 'inbox/', Status: 'Enabled', ExpirationInDays: 30 }));
  });

  test('the tokenisation secret is generated and encrypted with the data key', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      KmsKeyId: { 'Fn::GetAtt': ['DataKey', 'Arn'] },
      GenerateSecretString: Match.objectLike({ PasswordLength: 64 }),
    });
  });
});
