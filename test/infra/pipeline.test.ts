import { beforeAll, describe, expect, test } from 'vitest';
import { ENV } from '../../src/adapters/aws/tables.js';
import {
  actionsOf,
  identityStatements,
  resourceByPrefix,
  resourcesOf,
  synthApp,
  templateOf,
  unacknowledgedFindings,
  type CfnResourceJson,
  type CfnTemplate,
  type SynthResult,
} from './helpers/synth.js';

const STACK = 'Fraudmini-dev-Pipeline';
let result: SynthResult;
let json: CfnTemplate;

beforeAll(() => {
  result = synthApp();
  json = templateOf(result, STACK);
});

const fn = (prefix: string): [string, CfnResourceJson] => resourceByPrefix(json, 'AWS::Lambda::Function', prefix);
const props = (r: [string, CfnResourceJson]): Record<string, unknown> => r[1].Properties ?? {};
const queueIdOf = (arn: unknown): string => (arn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
const mappingOf = (functionId: string): Record<string, unknown> => {
  const found = resourcesOf(json, 'AWS::Lambda::EventSourceMapping').filter(
    ([, m]) => JSON.stringify(m.Properties?.FunctionName) === JSON.stringify({ Ref: functionId }),
  );
  expect(found).toHaveLength(1);
  return found[0]?.[1].Properties ?? {};
};

describe('pipeline: queues', () => {
  test('every source queue has a KMS-encrypted DLQ kept 14 days, reached after 3 receives', () => {
    // Prepare
    const queues = resourcesOf(json, 'AWS::SQS::Queue');
    const sources = queues.filter(([, q]) => q.Properties?.RedrivePolicy !== undefined);
    // Assess
    expect(sources.map(([id]) => id.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual(
      ['AlertsSuspiciousQueue', 'IngestionRawEventsQueue', 'ScoringTransactionsQueue'],
    );
    for (const [, source] of sources) {
      const redrive = source.Properties?.RedrivePolicy as { deadLetterTargetArn: unknown; maxReceiveCount: number };
      expect(redrive.maxReceiveCount).toBe(3);
      const dlq = json.Resources[queueIdOf(redrive.deadLetterTargetArn)];
      expect(dlq?.Properties?.MessageRetentionPeriod).toBe(14 * 24 * 3600);
    }
  });

  test('every queue is encrypted with the messaging key (not the data key) and refuses plain HTTP', () => {
    // Prepare
    const queues = resourcesOf(json, 'AWS::SQS::Queue');
    const policies = resourcesOf(json, 'AWS::SQS::QueuePolicy').map(([, p]) => JSON.stringify(p.Properties));
    // Assess
    expect(queues.length).toBeGreaterThanOrEqual(7);
    for (const [id, queue] of queues) {
      expect(JSON.stringify(queue.Properties?.KmsMasterKeyId)).toContain('MessagingKey');
      expect(policies.some((p) => p.includes(`"${id}"`) && p.includes('"aws:SecureTransport":"false"'))).toBe(true);
    }
  });

  test('visibility timeout is at least 6 × the timeout of the function consuming the queue', () => {
    // Prepare
    const sqsMappings = resourcesOf(json, 'AWS::Lambda::EventSourceMapping').filter(([, m]) =>
      JSON.stringify(m.Properties?.EventSourceArn).includes('Queue'),
    );
    // Assess
    expect(sqsMappings).toHaveLength(3);
    for (const [, mapping] of sqsMappings) {
      const queue = json.Resources[queueIdOf(mapping.Properties?.EventSourceArn)];
      const consumer = json.Resources[(mapping.Properties?.FunctionName as { Ref: string }).Ref];
      const timeout = consumer?.Properties?.Timeout as number;
      expect(queue?.Properties?.VisibilityTimeout as number).toBeGreaterThanOrEqual(6 * timeout);
    }
  });
});

describe('pipeline: event wiring', () => {
  test('raw bucket ObjectCreated events for inbox/*.csv go to the raw-events queue', () => {
    // Prepare
    const [, notification] = resourceByPrefix(json, 'Custom::S3BucketNotifications', 'IngestionRawBucketRefNotifications');
    const config = notification.Properties?.NotificationConfiguration as { QueueConfigurations: Record<string, unknown>[] };
    // Assess
    expect((config.QueueConfigurations[0]?.Filter as { Key: { FilterRules: unknown[] } }).Key.FilterRules).toHaveLength(2);
    expect(config.QueueConfigurations).toEqual([
      {
        Events: ['s3:ObjectCreated:*'],
        Filter: { Key: { FilterRules: expect.arrayContaining([{ Name: 'prefix', Value: 'inbox/' }, { Name: 'suffix', Value: '.csv' }]) } },
        QueueArn: { 'Fn::GetAtt': [expect.stringMatching(/^IngestionRawEventsQueue/), 'Arn'] },
      },
    ]);
  });

  test('ingest takes one file per invocation, score and notify 10 messages, all reporting item failures', () => {
    // Act
    const ingest = mappingOf(fn('IngestionIngestFunction')[0]);
    const score = mappingOf(fn('ScoringScoreFunction')[0]);
    const notify = mappingOf(fn('AlertsNotifyFunction')[0]);
    // Assess
    expect(ingest).toMatchObject({ BatchSize: 1, FunctionResponseTypes: ['ReportBatchItemFailures'] });
    expect(score).toMatchObject({ BatchSize: 10, MaximumBatchingWindowInSeconds: 5, FunctionResponseTypes: ['ReportBatchItemFailures'] });
    expect(notify).toMatchObject({ BatchSize: 10, FunctionResponseTypes: ['ReportBatchItemFailures'] });
    expect(queueIdOf(ingest.EventSourceArn)).toMatch(/^IngestionRawEventsQueue/);
    expect(queueIdOf(score.EventSourceArn)).toMatch(/^ScoringTransactionsQueue/);
    expect(queueIdOf(notify.EventSourceArn)).toMatch(/^AlertsSuspiciousQueue/);
  });

  test('the Kinesis stream is on demand, KMS-encrypted, and feeds stream with bisect, item failures, retries and a failure queue', () => {
    // Prepare
    const [streamId, stream] = resourceByPrefix(json, 'AWS::Kinesis::Stream', 'KinesisScoringKinesisStream');
    // Act
    const mapping = mappingOf(fn('KinesisScoringStreamFunction')[0]);
    // Assess
    expect(stream.Properties).toMatchObject({
      StreamModeDetails: { StreamMode: 'ON_DEMAND' },
      StreamEncryption: { EncryptionType: 'KMS' },
    });
    expect(JSON.stringify(stream.Properties?.StreamEncryption)).toContain('MessagingKey');
    expect(mapping).toMatchObject({
      EventSourceArn: { 'Fn::GetAtt': [streamId, 'Arn'] },
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      MaximumRetryAttempts: 3,
      StartingPosition: 'TRIM_HORIZON',
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [expect.stringMatching(/^KinesisScoringFailures/), 'Arn'] } } },
    });
  });

  test('with the API scoring synchronously, no table-stream consumer scores a second time', () => {
    expect(resourcesOf(json, 'AWS::Lambda::Function').filter(([id]) => id.startsWith('TableStreamScoring'))).toEqual([]);
  });
});

describe('pipeline: functions', () => {
  const all = (): [string, CfnResourceJson][] =>
    resourcesOf(json, 'AWS::Lambda::Function').filter(([id]) => !id.startsWith('BucketNotificationsHandler'));

  test('run Node.js 22 on arm64 with X-Ray, reserved concurrency, JSON logs into their own encrypted, year-long log group', () => {
    // Prepare
    const logGroups = new Map(resourcesOf(json, 'AWS::Logs::LogGroup'));
    // Assess
    expect(all()).toHaveLength(5);
    for (const f of all()) {
      const p = props(f);
      expect(p).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: { LogFormat: 'JSON' },
      });
      expect(p.ReservedConcurrentExecutions).toBeGreaterThan(0);
      const logGroup = logGroups.get((p.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref);
      expect(logGroup?.Properties?.RetentionInDays).toBe(365);
      expect(JSON.stringify(logGroup?.Properties?.KmsKeyId)).toContain('MessagingKey');
    }
  });

  test('ingest has 15 minutes and 1 GB; the others less time', () => {
    expect(props(fn('IngestionIngestFunction'))).toMatchObject({ Timeout: 900, MemorySize: 1024 });
    const others = all().filter(([id]) => !id.startsWith('Ingestion'));
    expect(others).toHaveLength(4);
    for (const f of others) {
      expect(props(f).Timeout as number).toBeLessThan(900);
    }
  });

  const envNames = (prefix: string): string[] =>
    Object.keys((props(fn(prefix)).Environment as { Variables: Record<string, unknown> }).Variables).sort();
  const COMMON = ['NODE_OPTIONS', 'POWERTOOLS_LOG_LEVEL', 'POWERTOOLS_METRICS_NAMESPACE', 'POWERTOOLS_SERVICE_NAME'];
  const SCORING = [ENV.decisionsTable, ENV.featuresTable, ENV.stateTable, ENV.idempotencyTable, ENV.suspiciousQueueUrl, ENV.labelDelay];

  test.each([
    ['IngestionIngestFunction', [ENV.rawBucket, ENV.rawEventsQueueUrl, ENV.refinedBucket, ENV.transactionsQueueUrl, ENV.stateTable, ENV.idempotencyTable, ENV.tokenSecretArn]],
    // The batch scorers also write the decision lake in the refined bucket; the API does not.
    ['ScoringScoreFunction', [...SCORING, ENV.refinedBucket]],
    ['KinesisScoringStreamFunction', [...SCORING, ENV.refinedBucket, ENV.tokenSecretArn]],
    ['ApiHandlerFunction', [...SCORING, ENV.transactionsTable, ENV.tokenSecretArn, ENV.apiMode]],
    ['AlertsNotifyFunction', [ENV.alertsTopicArn, ENV.idempotencyTable]],
  ] as [string, string[]][])('%s gets exactly the environment it needs, no secrets', (prefix, expected) => {
    expect(envNames(prefix)).toEqual([...expected, ...COMMON].sort());
  });

  test('Powertools metrics land in the fraudmini namespace; labels wait 7 days; rules only without the model', () => {
    const vars = (props(fn('ScoringScoreFunction')).Environment as { Variables: Record<string, unknown> }).Variables;
    expect(vars).toMatchObject({
      POWERTOOLS_METRICS_NAMESPACE: 'fraudmini',
      POWERTOOLS_SERVICE_NAME: 'fraudmini-score',
      [ENV.labelDelay]: '7d',
    });
    expect(vars[ENV.modelUri]).toBeUndefined();
  });
});

describe('pipeline: API', () => {
  test('the stage throttles at 1,000 rps and logs access; the usage plan carries the key', () => {
    // Prepare
    const [, stage] = resourceByPrefix(json, 'AWS::ApiGateway::Stage', 'ApiRestApiDeploymentStage');
    const [, plan] = resourceByPrefix(json, 'AWS::ApiGateway::UsagePlan', 'ApiRestApiUsagePlan');
    // Assess
    expect(stage.Properties).toMatchObject({
      MethodSettings: [
        expect.objectContaining({ ThrottlingRateLimit: 1000, ThrottlingBurstLimit: 2000, DataTraceEnabled: false, LoggingLevel: 'INFO' }),
      ],
      TracingEnabled: true,
    });
    expect(stage.Properties?.AccessLogSetting).toBeDefined();
    expect(plan.Properties).toMatchObject({ Throttle: { RateLimit: 1000, BurstLimit: 2000 } });
    expect(resourcesOf(json, 'AWS::ApiGateway::ApiKey')).toHaveLength(1);
    expect(resourcesOf(json, 'AWS::ApiGateway::UsagePlanKey')).toHaveLength(1);
  });

  test('every route of the local API exists and requires the API key', () => {
    // Prepare
    const paths = new Map<string, string>();
    const resources = new Map(resourcesOf(json, 'AWS::ApiGateway::Resource'));
    const pathOf = (id: string): string => {
      const r = resources.get(id)?.Properties ?? {};
      const parent = r.ParentId as { Ref?: string };
      return `${parent.Ref === undefined ? '' : pathOf(parent.Ref)}/${String(r.PathPart)}`;
    };
    // Act
    for (const [, method] of resourcesOf(json, 'AWS::ApiGateway::Method')) {
      const p = method.Properties ?? {};
      paths.set(`${String(p.HttpMethod)} ${pathOf((p.ResourceId as { Ref: string }).Ref)}`, String(p.ApiKeyRequired));
    }
    // Assess
    expect(Object.fromEntries(paths)).toEqual({
      'POST /transactions': 'true',
      'GET /transactions/{id}': 'true',
      'POST /transactions/{id}/label': 'true',
      'GET /alerts': 'true',
      'GET /rules': 'true',
      'PUT /rules': 'true',
      'GET /rules/audit': 'true',
      'GET /stats': 'true',
      'GET /stats/shadow': 'true',
      'GET /healthz': 'true',
    });
  });

  test('a WAF web ACL with AWS managed rules guards the stage', () => {
    expect(resourcesOf(json, 'AWS::WAFv2::WebACLAssociation')).toHaveLength(1);
  });
});

describe('pipeline: monitoring', () => {
  test('alarms fire on any DLQ message, function error or throttle, into the ops topic', () => {
    // Prepare
    const alarms = resourcesOf(json, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties ?? {});
    const opsTopic = resourceByPrefix(json, 'AWS::SNS::Topic', 'MonitoringOpsTopic')[0];
    const count = (metric: string): number => alarms.filter((a) => a.MetricName === metric).length;
    // Assess
    expect(count('ApproximateNumberOfMessagesVisible')).toBe(4); // 3 DLQs + the Kinesis failure queue
    expect(count('Errors')).toBe(5);
    expect(count('Throttles')).toBe(5);
    for (const alarm of alarms) {
      expect(alarm).toMatchObject({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold', AlarmActions: [{ Ref: opsTopic }] });
    }
    expect(resourcesOf(json, 'AWS::CloudWatch::Dashboard')).toHaveLength(1);
  });
});

describe('security properties across the app', () => {
  const templates = (): CfnTemplate[] => result.assembly.stacks.map((s) => s.template as CfnTemplate);

  test('no IAM statement grants a wildcard action', () => {
    // Prepare
    const granted = templates().flatMap((template) =>
      identityStatements(template).flatMap(({ logicalId, statement }) => actionsOf(statement).map((action) => ({ logicalId, action }))),
    );
    // Assess: the roles of five functions grant many actions; none of them a wildcard.
    expect(granted.length).toBeGreaterThan(20);
    for (const { logicalId, action } of granted) expect({ logicalId, action }).toEqual({ logicalId, action: expect.not.stringContaining('*') });
  });

  test('no resource has a physical name (a literal name; references to other resources are fine)', () => {
    const NAME_PROPERTIES = ['BucketName', 'TableName', 'QueueName', 'FunctionName', 'TopicName', 'LogGroupName', 'RoleName', 'ManagedPolicyName', 'StreamName', 'KeyAlias', 'AliasName'];
    // Both stacks, each with its resources, are checked.
    expect(templates().map((t) => Object.keys(t.Resources).length > 0)).toEqual([true, true]);
    for (const template of templates()) {
      for (const [id, resource] of Object.entries(template.Resources)) {
        for (const name of NAME_PROPERTIES) {
          expect({ id, name, literal: typeof resource.Properties?.[name] === 'string' }).toEqual({ id, name, literal: false });
        }
        if (['AWS::Kinesis::Stream', 'AWS::SecretsManager::Secret', 'AWS::SNS::Topic'].includes(resource.Type)) {
          expect(resource.Properties?.Name).toBeUndefined();
        }
      }
    }
  });

  test('ingest reads and deletes only inbox/ of the raw bucket and reads and writes only processed/ and failed/ of the refined one', () => {
    // Prepare
    const policy = resourceByPrefix(json, 'AWS::IAM::Policy', 'IngestionIngestRoleDefaultPolicy')[1];
    const statements = identityStatements({ Resources: { policy } }).map((s) => s.statement);
    const all = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('s3:')));
    // Listing (so a missing key is a 404, not a 403) is on the two buckets themselves.
    const lists = all.filter((s) => actionsOf(s).every((a) => a === 's3:ListBucket'));
    expect(lists.flatMap((s) => [s.Resource].flat())).toHaveLength(2);
    const s3 = all.filter((s) => !lists.includes(s));
    const suffixes = (s: (typeof s3)[number]): string[] =>
      ([s.Resource].flat() as { 'Fn::Join': [string, unknown[]] }[]).map((r) => String(r['Fn::Join'][1].at(-1)));
    // Assess
    expect(s3.map((s) => [actionsOf(s).sort(), suffixes(s).sort()])).toEqual([
      [['s3:DeleteObject', 's3:GetObject'], ['/inbox/*']],
      [['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'], ['/failed/*', '/processed/*']],
    ]);
  });

  test('cdk-nag AwsSolutions and PCI DSS 3.2.1 leave no unacknowledged finding', () => {
    expect(unacknowledgedFindings(result)).toEqual([]);
  });
});
