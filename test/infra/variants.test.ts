import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { BUNDLING_STACKS } from 'aws-cdk-lib/cx-api';
import { type IConstruct } from 'constructs';
import { beforeAll, describe, expect, test } from 'vitest';
import { ENV } from '../../src/adapters/aws/tables.js';
import { readInfraConfig } from '../../infra/config.js';
import { buildFraudminiApp } from '../../infra/fraudminiApp.js';
import {
  actionsOf,
  cdkJsonContext,
  identityStatements,
  resourceByPrefix,
  resourcesOf,
  synthApp,
  templateOf,
  unacknowledgedFindings,
  type CfnTemplate,
  type SynthResult,
} from './helpers/synth.js';

/** Every setting moved off its default at once: one synth covers the other branches of the app. */
const CONTEXT = {
  env: 'prod',
  apiMode: 'store',
  model: 'true',
  kinesis: 'false',
  waf: 'false',
  apiRateLimit: '250',
  retentionDays: '3650',
  glacierAfterDays: '90',
  maxReceiveCount: '5',
  'concurrency.score': '7',
  alertEmail: 'fraud-team@example.com',
  opsEmail: 'ops@example.com',
  githubRepo: 'acme/fraudmini',
};

let result: SynthResult;
let pipeline: CfnTemplate;

beforeAll(() => {
  result = synthApp(CONTEXT);
  pipeline = templateOf(result, 'Fraudmini-prod-Pipeline');
});

describe('context variants', () => {
  test('the environment suffix names every stack', () => {
    expect(result.assembly.stacks.map((s) => s.stackName).sort()).toEqual(
      ['Fraudmini-prod-Deploy', 'Fraudmini-prod-Pipeline', 'Fraudmini-prod-Stateful'],
    );
  });

  test('apiMode=store: the transactions table stream feeds tableStream with INSERTs, bisect, item failures and a failure queue', () => {
    // Prepare
    const [fnId, fn] = resourceByPrefix(pipeline, 'AWS::Lambda::Function', 'TableStreamScoringTableStreamFunction');
    // Act
    const [, mapping] = resourcesOf(pipeline, 'AWS::Lambda::EventSourceMapping').find(
      ([, m]) => JSON.stringify(m.Properties?.FunctionName) === JSON.stringify({ Ref: fnId }),
    ) ?? ['', {}];
    // Assess
    expect(JSON.stringify(mapping.Properties?.EventSourceArn)).toContain('TransactionsTable');
    expect(mapping.Properties).toMatchObject({
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      MaximumRetryAttempts: 3,
      FilterCriteria: { Filters: [{ Pattern: JSON.stringify({ eventName: ['INSERT'] }) }] },
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [expect.stringMatching(/^TableStreamScoringFailures/), 'Arn'] } } },
    });
    expect((fn.Properties?.Environment as { Variables: Record<string, unknown> }).Variables).toHaveProperty(ENV.modelUri);
    const api = resourceByPrefix(pipeline, 'AWS::Lambda::Function', 'ApiHandlerFunction')[1];
    expect((api.Properties?.Environment as { Variables: Record<string, unknown> }).Variables[ENV.apiMode]).toBe('store');
  });

  test('model=true: MODEL_URI points at models/model.json of the refined bucket, readable under models/ only', () => {
    // Prepare
    const score = resourceByPrefix(pipeline, 'AWS::Lambda::Function', 'ScoringScoreFunction')[1];
    const policy = resourceByPrefix(pipeline, 'AWS::IAM::Policy', 'ScoringScoreRoleDefaultPolicy')[1];
    // Act
    const uri = (score.Properties?.Environment as { Variables: Record<string, unknown> }).Variables[ENV.modelUri];
    const s3Statements = identityStatements({ Resources: { policy } })
      .map((s) => s.statement)
      .filter((s) => actionsOf(s).some((a) => a.startsWith('s3:')));
    // Assess
    expect(JSON.stringify(uri)).toMatch(/"s3:\/\/",.*RefinedBucket.*"\/models\/model\.json"/);
    // Reads under models/; the other S3 grant is the decision lake's write, under lake/decisions/ only.
    const byAction = new Map(s3Statements.map((st) => [actionsOf(st).join(','), JSON.stringify(st.Resource)]));
    expect([...byAction.keys()].sort()).toEqual(['s3:GetObject', 's3:PutObject']);
    expect(byAction.get('s3:GetObject')).toMatch(/"\/models\/\*"\]/);
    expect(byAction.get('s3:PutObject')).toMatch(/"\/lake\/decisions\/\*"\]/);
  });

  test('kinesis=false and waf=false drop the stream and the web ACL', () => {
    expect(resourcesOf(pipeline, 'AWS::Kinesis::Stream')).toEqual([]);
    expect(resourcesOf(pipeline, 'AWS::WAFv2::WebACL')).toEqual([]);
  });

  test('throttling, receive count, concurrency and lifecycle days follow the context', () => {
    // Prepare
    const stage = resourceByPrefix(pipeline, 'AWS::ApiGateway::Stage', 'ApiRestApiDeploymentStage')[1];
    const queues = resourcesOf(pipeline, 'AWS::SQS::Queue').filter(([, q]) => q.Properties?.RedrivePolicy !== undefined);
    const score = resourceByPrefix(pipeline, 'AWS::Lambda::Function', 'ScoringScoreFunction')[1];
    const refined = templateOf(result, 'Fraudmini-prod-Stateful').Resources.RefinedBucket;
    // Assess
    expect(stage.Properties?.MethodSettings).toEqual([expect.objectContaining({ ThrottlingRateLimit: 250, ThrottlingBurstLimit: 500 })]);
    expect(queues).toHaveLength(3);
    for (const [, q] of queues) expect(q.Properties?.RedrivePolicy).toMatchObject({ maxReceiveCount: 5 });
    expect(score.Properties?.ReservedConcurrentExecutions).toBe(7);
    expect((refined?.Properties?.LifecycleConfiguration as { Rules: unknown[] }).Rules).toContainEqual(
      expect.objectContaining({ Prefix: 'processed/', ExpirationInDays: 3650, Transitions: [{ StorageClass: 'GLACIER', TransitionInDays: 90 }] }),
    );
  });

  test('email subscriptions go to the alerts and ops topics', () => {
    const subs = resourcesOf(pipeline, 'AWS::SNS::Subscription').map(([, s]) => s.Properties?.Endpoint).sort();
    expect(subs).toEqual(['fraud-team@example.com', 'ops@example.com']);
  });

  test('the GitHub deploy role trusts only main of the repository and may only assume the CDK bootstrap roles', () => {
    // Prepare
    const deploy = templateOf(result, 'Fraudmini-prod-Deploy');
    const [, role] = resourceByPrefix(deploy, 'AWS::IAM::Role', 'GithubDeployRole');
    // Act
    const trust = (role.Properties?.AssumeRolePolicyDocument as { Statement: Record<string, unknown>[] }).Statement;
    const statements = identityStatements(deploy).map((s) => s.statement);
    // Assess
    expect(resourcesOf(deploy, 'AWS::IAM::OIDCProvider')[0]?.[1].Properties).toMatchObject({
      Url: 'https://token.actions.githubusercontent.com',
      ClientIdList: ['sts.amazonaws.com'],
    });
    expect(trust).toEqual([
      expect.objectContaining({
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: {
          StringEquals: {
            'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
            'token.actions.githubusercontent.com:sub': 'repo:acme/fraudmini:ref:refs/heads/main',
          },
        },
      }),
    ]);
    expect(statements).toHaveLength(1);
    expect(actionsOf(statements[0] ?? { Effect: 'Allow' })).toEqual(['sts:AssumeRole']);
    expect(JSON.stringify(statements[0]?.Resource)).toMatch(/cdk-hnb659fds-deploy-role-.*cdk-hnb659fds-file-publishing-role-.*cdk-hnb659fds-lookup-role-/);
  });

  test('cdk-nag leaves no unacknowledged finding in this configuration either', () => {
    expect(unacknowledgedFindings(result)).toEqual([]);
  });
});

describe('cdk-nag enforcement', () => {
  test('an unacknowledged finding fails synth, naming the rule', () => {
    // Prepare
    const { app, stateful } = buildFraudminiApp({ context: { ...cdkJsonContext(), [BUNDLING_STACKS]: [] } });
    new s3.Bucket(stateful, 'CarelessBucket', { removalPolicy: RemovalPolicy.RETAIN });
    // Act / Assess
    expect(() => app.synth()).toThrow(/AwsSolutions-S1[\s\S]*CarelessBucket|CarelessBucket[\s\S]*AwsSolutions-S1/);
  });

  test('every acknowledgement carries a specific reason', () => {
    // Prepare
    const acks: { path: string; id: string; reason: string }[] = [];
    const visit = (c: IConstruct): void => {
      for (const entry of c.node.metadata) {
        if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
        // Recorded as { [qualified rule id]: reason }.
        for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) acks.push({ path: c.node.path, id, reason });
      }
      c.node.children.forEach(visit);
    };
    // Act
    visit(result.app);
    // Assess
    expect(acks.length).toBeGreaterThan(10);
    for (const ack of acks) expect({ ...ack, long: ack.reason.length >= 40 }).toEqual({ ...ack, long: true });
  });
});

describe('context validation', () => {
  test.each([
    [{ retentionDays: '100', glacierAfterDays: '180' }, /retentionDays/],
    [{ env: 'Prod!' }, /"env"/],
    [{ apiMode: 'sometimes' }, /apiMode/],
    [{ apiRateLimit: 'fast' }, /apiRateLimit/],
    [{ githubRepo: 'not a repo' }, /githubRepo/],
  ])('%o is refused with the key named', (context, message) => {
    expect(() => buildFraudminiApp({ context: { ...cdkJsonContext(), [BUNDLING_STACKS]: [], ...context } })).toThrow(message);
  });

  test('defaults: dev, rules only, 1,000 rps, 3 receives, 180/2555 days, one year of logs', () => {
    // Prepare
    const { app } = buildFraudminiApp({ context: { ...cdkJsonContext(), [BUNDLING_STACKS]: [] } });
    // Act
    const config = readInfraConfig(app);
    // Assess
    expect(config).toMatchObject({
      envName: 'dev',
      model: false,
      apiMode: 'score',
      apiRateLimit: 1000,
      maxReceiveCount: 3,
      glacierAfterDays: 180,
      retentionDays: 2555,
      logRetentionDays: 365,
      kinesis: true,
    });
  });
});
