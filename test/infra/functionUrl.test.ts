import { beforeAll, describe, expect, test } from 'vitest';
import {
  actionsOf,
  identityStatements,
  resourcesOf,
  synthApp,
  templateOf,
  unacknowledgedFindings,
  type CfnTemplate,
  type SynthResult,
} from './helpers/synth.js';

/** `-c api=url`: the client routes on a Lambda function URL (IAM), the admin routes on an IAM-authorised HTTP API. */
describe('api=url', () => {
  let result: SynthResult;
  let pipeline: CfnTemplate;

  beforeAll(() => {
    // synthApp throws on any unacknowledged cdk-nag finding: this synth is the nag check too.
    result = synthApp({ api: 'url' });
    pipeline = templateOf(result, 'Fraudmini-dev-Pipeline');
  });

  const apiFunctionId = (): string => {
    const [[id] = ['']] = resourcesOf(pipeline, 'AWS::Lambda::Function').filter(([logicalId]) => logicalId.startsWith('ApiHandler'));
    return id;
  };

  test('is cdk-nag clean', () => {
    expect(unacknowledgedFindings(result)).toEqual([]);
  });

  test('one function URL, on the api function, with AWS_IAM auth and no CORS, and no public permission', () => {
    const urls = resourcesOf(pipeline, 'AWS::Lambda::Url').map(([, u]) => u.Properties ?? {});
    expect(urls).toHaveLength(1);
    expect(urls[0]?.AuthType).toBe('AWS_IAM');
    expect(urls[0]?.Cors).toBeUndefined();
    expect(urls[0]?.TargetFunctionArn).toEqual({ 'Fn::GetAtt': [apiFunctionId(), 'Arn'] });
    const urlPermissions = resourcesOf(pipeline, 'AWS::Lambda::Permission').filter(([, p]) => p.Properties?.Action === 'lambda:InvokeFunctionUrl');
    expect(urlPermissions).toEqual([]);
  });

  test('no REST API, API key or WAF; the HTTP API has the admin routes only, IAM-authorised, payload 1.0', () => {
    expect(resourcesOf(pipeline, 'AWS::ApiGateway::RestApi')).toEqual([]);
    expect(resourcesOf(pipeline, 'AWS::ApiGateway::ApiKey')).toEqual([]);
    expect(resourcesOf(pipeline, 'AWS::WAFv2::WebACL')).toEqual([]);
    expect(resourcesOf(pipeline, 'AWS::ApiGatewayV2::Api')).toHaveLength(1);
    const routes = resourcesOf(pipeline, 'AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties ?? {});
    expect(routes.map((r) => r.RouteKey).sort()).toEqual(['GET /rules/audit', 'PUT /rules']);
    for (const r of routes) expect(r.AuthorizationType, String(r.RouteKey)).toBe('AWS_IAM');
    const integrations = resourcesOf(pipeline, 'AWS::ApiGatewayV2::Integration').map(([, i]) => i.Properties ?? {});
    expect(integrations.map((i) => i.PayloadFormatVersion)).toEqual(['1.0']);
  });

  test('the client policy allows lambda:InvokeFunctionUrl on the api function for IAM-auth URLs only, and nothing else', () => {
    const client = identityStatements(pipeline).filter(({ logicalId }) => logicalId.startsWith('ApiClientPolicy'));
    expect(client).toHaveLength(1);
    const statement = client[0]?.statement ?? { Effect: 'Deny' as const };
    expect(actionsOf(statement)).toEqual(['lambda:InvokeFunctionUrl']);
    expect(statement.Resource).toEqual({ 'Fn::GetAtt': [apiFunctionId(), 'Arn'] });
    expect(statement.Condition).toEqual({ StringEquals: { 'lambda:FunctionUrlAuthType': 'AWS_IAM' } });
  });

  test('no principal but the client policy may invoke the URL, and the admin policy reaches the admin routes only', () => {
    const urlInvokers = identityStatements(pipeline).filter(({ statement }) =>
      actionsOf(statement).some((a) => a === 'lambda:InvokeFunctionUrl' || a === 'lambda:*' || a === '*'),
    );
    expect(urlInvokers.map(({ logicalId }) => logicalId.replace(/[0-9A-F]{8}$/, ''))).toEqual(['ApiClientPolicy']);
    const admin = identityStatements(pipeline).filter(({ logicalId }) => logicalId.startsWith('ApiAdminPolicy'));
    expect(admin).toHaveLength(1);
    const resources = JSON.stringify(admin[0]?.statement.Resource);
    expect(actionsOf(admin[0]?.statement ?? { Effect: 'Allow' })).toEqual(['execute-api:Invoke']);
    expect(resources).toContain('/$default/PUT/rules');
    expect(resources).toContain('/GET/rules/audit');
    expect(resources).not.toContain('transactions');
  });

  test('outputs the function URL as ApiUrl, the admin API, and both policies; the function keeps its reserved concurrency', () => {
    const outputs = Object.keys(pipeline.Outputs ?? {});
    for (const prefix of ['ApiUrl', 'ApiAdminApiUrl', 'ApiClientPolicyArn', 'ApiAdminPolicyArn']) {
      expect(outputs.some((o) => o.startsWith(prefix)), prefix).toBe(true);
    }
    expect(JSON.stringify((pipeline.Outputs as Record<string, unknown>).ApiUrl)).toContain('FunctionUrl');
    expect(pipeline.Resources[apiFunctionId()]?.Properties?.ReservedConcurrentExecutions).toBe(50);
  });

  test('the API alarm watches the function URL\'s 5xx', () => {
    const alarms = resourcesOf(pipeline, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties ?? {});
    expect(alarms.some((a) => a.MetricName === 'Url5xxCount' && a.Namespace === 'AWS/Lambda')).toBe(true);
  });
});
