import { beforeAll, describe, expect, test } from 'vitest';
import { TABLES } from '../../src/adapters/aws/tables.js';
import { PROVISIONED_CAPACITY } from '../../infra/capacity.js';
import { readInfraConfig } from '../../infra/config.js';
import { App } from 'aws-cdk-lib';
import { ATHENA_RESULTS_PREFIX } from '../../infra/constructs/lake.js';
import { ATHENA_RESULTS_DAYS } from '../../infra/stacks/statefulStack.js';
import {
  identityStatements,
  resourcesOf,
  synthApp,
  templateOf,
  unacknowledgedFindings,
  type CfnTemplate,
  type SynthResult,
} from './helpers/synth.js';

/** The options that trade features for a lower price per transaction, synthesised together. */
describe('capacity=provisioned and api=http', () => {
  let result: SynthResult;
  let stateful: CfnTemplate;
  let pipeline: CfnTemplate;

  beforeAll(() => {
    // synthApp throws on any unacknowledged cdk-nag finding: this synth is the nag check too.
    result = synthApp({ capacity: 'provisioned', api: 'http' });
    stateful = templateOf(result, 'Fraudmini-dev-Stateful');
    pipeline = templateOf(result, 'Fraudmini-dev-Pipeline');
  });

  test('is cdk-nag clean', () => {
    expect(unacknowledgedFindings(result)).toEqual([]);
  });

  test('the refined bucket expires Athena query results', () => {
    const rules = (stateful.Resources.RefinedBucket?.Properties?.LifecycleConfiguration as { Rules: Record<string, unknown>[] }).Rules;
    expect(rules).toContainEqual(
      expect.objectContaining({ Id: 'expire-athena-results', Prefix: ATHENA_RESULTS_PREFIX, ExpirationInDays: ATHENA_RESULTS_DAYS, Status: 'Enabled' }),
    );
  });

  test('every table keeps its logical ID and is provisioned at the floor, its indexes too', () => {
    for (const name of Object.keys(TABLES)) {
      const id = `${name[0]?.toUpperCase() ?? ''}${name.slice(1)}Table`;
      const props = stateful.Resources[id]?.Properties ?? {};
      expect(props.BillingMode ?? 'PROVISIONED', id).toBe('PROVISIONED');
      expect(props.ProvisionedThroughput, id).toEqual({
        ReadCapacityUnits: PROVISIONED_CAPACITY.minUnits,
        WriteCapacityUnits: PROVISIONED_CAPACITY.minUnits,
      });
      for (const index of (props.GlobalSecondaryIndexes ?? []) as { ProvisionedThroughput?: unknown }[]) {
        expect(index.ProvisionedThroughput).toEqual({ ReadCapacityUnits: PROVISIONED_CAPACITY.minUnits, WriteCapacityUnits: PROVISIONED_CAPACITY.minUnits });
      }
    }
  });

  test('auto scaling: reads and writes of every table and index, between the bounds, on target utilisation', () => {
    const targets = resourcesOf(stateful, 'AWS::ApplicationAutoScaling::ScalableTarget').map(([, t]) => t.Properties ?? {});
    const dimensions = targets.map((t) => t.ScalableDimension as string).sort();
    const expected = Object.values(TABLES).flatMap((t) => [
      'dynamodb:table:ReadCapacityUnits',
      'dynamodb:table:WriteCapacityUnits',
      ...('globalIndexes' in t ? t.globalIndexes.flatMap(() => ['dynamodb:index:ReadCapacityUnits', 'dynamodb:index:WriteCapacityUnits']) : []),
    ]);
    expect(dimensions).toEqual(expected.sort());
    expect(targets.length).toBe(2 * PROVISIONED_CAPACITY.tables);
    for (const t of targets) {
      expect(t.MinCapacity).toBe(PROVISIONED_CAPACITY.minUnits);
      expect(t.MaxCapacity).toBe(
        String(t.ScalableDimension).endsWith('ReadCapacityUnits') ? PROVISIONED_CAPACITY.maxReadUnits : PROVISIONED_CAPACITY.maxWriteUnits,
      );
    }
    const policies = resourcesOf(stateful, 'AWS::ApplicationAutoScaling::ScalingPolicy').map(([, p]) => p.Properties ?? {});
    expect(policies).toHaveLength(targets.length);
    for (const p of policies) {
      expect(p.PolicyType).toBe('TargetTrackingScaling');
      expect((p.TargetTrackingScalingPolicyConfiguration as { TargetValue: number }).TargetValue).toBe(
        PROVISIONED_CAPACITY.targetUtilizationPercent,
      );
    }
  });

  test('an HTTP API with IAM on every route, payload format 1.0, throttled and logged, and no REST API, key or WAF', () => {
    expect(resourcesOf(pipeline, 'AWS::ApiGatewayV2::Api')).toHaveLength(1);
    expect(resourcesOf(pipeline, 'AWS::ApiGateway::RestApi')).toEqual([]);
    expect(resourcesOf(pipeline, 'AWS::ApiGateway::ApiKey')).toEqual([]);
    expect(resourcesOf(pipeline, 'AWS::WAFv2::WebACLAssociation')).toEqual([]);
    const routes = resourcesOf(pipeline, 'AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties ?? {});
    expect(routes.map((r) => r.RouteKey).sort()).toEqual(
      [
        'GET /alerts',
        'GET /healthz',
        'GET /rules',
        'GET /rules/audit',
        'GET /stats',
        'GET /stats/shadow',
        'GET /transactions/{id}',
        'POST /transactions',
        'POST /transactions/{id}/label',
        'PUT /rules',
      ].sort(),
    );
    for (const r of routes) expect(r.AuthorizationType, String(r.RouteKey)).toBe('AWS_IAM');
    const integrations = resourcesOf(pipeline, 'AWS::ApiGatewayV2::Integration').map(([, i]) => i.Properties ?? {});
    expect(integrations).toHaveLength(1);
    expect(integrations[0]?.PayloadFormatVersion).toBe('1.0');
    const [[, stage] = ['', {}]] = resourcesOf(pipeline, 'AWS::ApiGatewayV2::Stage');
    // The default stage: a named one would prefix the event's path with its name.
    expect(stage.Properties?.StageName).toBe('$default');
    expect(stage.Properties?.DefaultRouteSettings).toMatchObject({ ThrottlingRateLimit: 1000, ThrottlingBurstLimit: 2000 });
    expect(stage.Properties?.AccessLogSettings).toBeDefined();
  });

  test('the client and admin policies each allow execute-api:Invoke on their own routes only', () => {
    const invoke = identityStatements(pipeline).filter(({ statement }) => JSON.stringify(statement.Action) === '"execute-api:Invoke"');
    const byPolicy = Object.fromEntries(invoke.map(({ logicalId, statement }) => [logicalId.replace(/[0-9A-F]{8}$/, ''), JSON.stringify(statement.Resource)]));
    const admin = byPolicy.ApiAdminPolicy ?? '';
    const client = byPolicy.ApiClientPolicy ?? '';
    expect(admin).toContain('/$default/PUT/rules');
    expect(admin).toContain('/GET/rules/audit');
    expect(admin).not.toContain('/POST/transactions');
    expect(client).toContain('/POST/transactions');
    expect(client).toContain('/GET/rules"');
    expect(client).not.toContain('/PUT/rules');
    expect(client).not.toContain('rules/audit');
  });
});

describe('capacity and api context', () => {
  test('default to on-demand and REST, and refuse anything else with the key named', () => {
    expect(readInfraConfig(new App())).toMatchObject({ capacity: 'on-demand', api: 'rest' });
    expect(() => readInfraConfig(new App({ context: { capacity: 'reserved' } }))).toThrow(/context "capacity"/);
    expect(() => readInfraConfig(new App({ context: { api: 'graphql' } }))).toThrow(/context "api"/);
    expect(readInfraConfig(new App({ context: { api: 'url' } }))).toMatchObject({ api: 'url' });
  });
});
