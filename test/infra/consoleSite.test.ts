/**
 * The console's static site (`-c console=true`): a private bucket read through origin access
 * control, CloudFront over HTTPS only with the local console's security headers, the API routes
 * under the same origin with the API key added by CloudFront, access logs, and cdk-nag clean.
 */
import { App } from 'aws-cdk-lib';
import { beforeAll, describe, expect, test } from 'vitest';
import { readInfraConfig } from '../../infra/config.js';
import { CONSOLE_API_PATHS, CONSOLE_API_ROUTES } from '../../infra/constructs/consoleSite.js';
import { CONSOLE_CSP } from '../../src/server/consoleHeaders.js';
import { actionsOf, cdkJsonContext, identityStatements, resourcesOf, synthApp, templateOf, unacknowledgedFindings, type CfnResourceJson, type CfnTemplate, type SynthResult } from './helpers/synth.js';

/** CloudFront's managed policies, by their fixed ids. */
const CACHING_DISABLED = '4135ea2d-6df8-44a3-9df3-4b5a84be39ad';
const ALL_VIEWER_EXCEPT_HOST = 'b689b0a8-53d0-40ab-baf2-68738e2966ac';

let result: SynthResult;
let json: CfnTemplate;

beforeAll(() => {
  result = synthApp({ console: 'true' });
  json = templateOf(result, 'Fraudmini-dev-Pipeline');
});

interface Behavior {
  PathPattern?: string;
  TargetOriginId: string;
  ViewerProtocolPolicy: string;
  AllowedMethods: string[];
  CachePolicyId: string;
  OriginRequestPolicyId?: string;
  ResponseHeadersPolicyId: unknown;
}
interface Origin {
  Id: string;
  DomainName: unknown;
  OriginAccessControlId?: unknown;
  S3OriginConfig?: { OriginAccessIdentity: string };
  CustomOriginConfig?: { OriginProtocolPolicy: string };
  OriginCustomHeaders?: { HeaderName: string; HeaderValue: unknown }[];
}
interface DistributionConfig {
  DefaultCacheBehavior: Behavior;
  CacheBehaviors: Behavior[];
  Origins: Origin[];
  DefaultRootObject: string;
  Logging?: { Bucket: unknown; Prefix: string };
}

const only = (type: string): [string, CfnResourceJson] => {
  const found = resourcesOf(json, type);
  expect(found).toHaveLength(1);
  return found[0] as [string, CfnResourceJson];
};
const distribution = (): DistributionConfig => only('AWS::CloudFront::Distribution')[1].Properties?.DistributionConfig as DistributionConfig;
const bucketId = (): string => {
  const ids = resourcesOf(json, 'AWS::S3::Bucket').map(([id]) => id).filter((id) => id.startsWith('ConsoleBucket'));
  expect(ids).toHaveLength(1);
  return ids[0] ?? '';
};

describe('console site: the bucket', () => {
  test('is private: all public access blocked, TLS only, readable only by this distribution\'s CloudFront service principal', () => {
    // Prepare
    const id = bucketId();
    const bucket = json.Resources[id]?.Properties ?? {};
    const [, policy] = resourcesOf(json, 'AWS::S3::BucketPolicy').find(([, p]) => JSON.stringify(p.Properties?.Bucket) === JSON.stringify({ Ref: id })) ?? [];
    const statements = (policy?.Properties?.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement;
    const allows = statements.filter((s) => s.Effect === 'Allow');

    // Assess
    expect(bucket.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
    expect(bucket.LoggingConfiguration).toMatchObject({ LogFilePrefix: 'console-bucket/' });
    expect(statements).toContainEqual(expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
    expect(allows).toHaveLength(1);
    expect(allows[0]).toMatchObject({ Action: 's3:GetObject', Principal: { Service: 'cloudfront.amazonaws.com' } });
    expect(JSON.stringify(allows[0]?.Condition)).toContain('ConsoleDistribution');
  });

  test('is read through origin access control (SigV4, always signed), not a legacy origin access identity', () => {
    // Prepare
    const [oacId, oac] = only('AWS::CloudFront::OriginAccessControl');
    const s3Origin = distribution().Origins.find((o) => JSON.stringify(o.DomainName).includes(bucketId()));

    // Assess
    expect(oac.Properties?.OriginAccessControlConfig).toMatchObject({ OriginAccessControlOriginType: 's3', SigningBehavior: 'always', SigningProtocol: 'sigv4' });
    expect(s3Origin?.OriginAccessControlId).toEqual({ 'Fn::GetAtt': [oacId, 'Id'] });
    expect(s3Origin?.S3OriginConfig).toEqual({ OriginAccessIdentity: '' });
  });
});

describe('console site: CloudFront', () => {
  test('serves the page from the bucket and every API path from the REST API, HTTPS only, the API uncached with cookies and headers', () => {
    // Prepare
    const d = distribution();
    const s3Origin = d.Origins.find((o) => o.S3OriginConfig)?.Id;
    const apiOrigin = d.Origins.find((o) => o.CustomOriginConfig);

    // Assess
    expect(d.DefaultRootObject).toBe('index.html');
    expect(d.DefaultCacheBehavior).toMatchObject({ TargetOriginId: s3Origin, ViewerProtocolPolicy: 'https-only', AllowedMethods: ['GET', 'HEAD'] });
    expect(JSON.stringify(apiOrigin?.DomainName)).toContain('ApiRestApi');
    expect(apiOrigin?.CustomOriginConfig?.OriginProtocolPolicy).toBe('https-only');
    expect(d.CacheBehaviors.map((b) => b.PathPattern)).toEqual([...CONSOLE_API_PATHS]);
    for (const b of d.CacheBehaviors) {
      expect(b).toMatchObject({ TargetOriginId: apiOrigin?.Id, ViewerProtocolPolicy: 'https-only', CachePolicyId: CACHING_DISABLED, OriginRequestPolicyId: ALL_VIEWER_EXCEPT_HOST });
      expect(b.AllowedMethods).toEqual(expect.arrayContaining(['GET', 'POST', 'DELETE']));
    }
    // Every path the console's routes live under goes to the API.
    for (const [, path] of CONSOLE_API_ROUTES) {
      const url = `/${path.replace(/\{id\}/g, '7')}`;
      expect(CONSOLE_API_PATHS.some((p) => (p.endsWith('/*') ? url.startsWith(p.slice(0, -1)) : url === p))).toBe(true);
    }
  });

  test('adds the local console\'s security headers to every response', () => {
    // Prepare
    const [policyId, policy] = only('AWS::CloudFront::ResponseHeadersPolicy');
    const d = distribution();
    const security = (policy.Properties?.ResponseHeadersPolicyConfig as { SecurityHeadersConfig: Record<string, Record<string, unknown>> }).SecurityHeadersConfig;

    // Assess
    expect(security.ContentSecurityPolicy).toEqual({ ContentSecurityPolicy: CONSOLE_CSP, Override: true });
    expect(security.FrameOptions).toMatchObject({ FrameOption: 'DENY' });
    expect(security.ReferrerPolicy).toMatchObject({ ReferrerPolicy: 'no-referrer' });
    expect(security.ContentTypeOptions).toEqual({ Override: true });
    expect(security.StrictTransportSecurity).toMatchObject({ IncludeSubdomains: true });
    for (const b of [d.DefaultCacheBehavior, ...d.CacheBehaviors]) expect(b.ResponseHeadersPolicyId).toEqual({ Ref: policyId });
  });

  test('sends an API key of its own as an origin header, resolved from Secrets Manager at deploy time: no key in the template or the page', () => {
    // Prepare
    const apiOrigin = distribution().Origins.find((o) => o.CustomOriginConfig);
    const header = apiOrigin?.OriginCustomHeaders?.find((h) => h.HeaderName === 'x-api-key');
    const [keyId, key] = resourcesOf(json, 'AWS::ApiGateway::ApiKey').find(([id]) => id.startsWith('ConsoleApiKey')) ?? [];
    const planKeys = resourcesOf(json, 'AWS::ApiGateway::UsagePlanKey').map(([, k]) => k.Properties);

    // Assess
    expect(JSON.stringify(header?.HeaderValue)).toMatch(/\{\{resolve:secretsmanager:.*ConsoleApiKeySecret/);
    expect(key?.Properties?.Value).toEqual(header?.HeaderValue);
    expect(planKeys).toContainEqual(expect.objectContaining({ KeyId: { Ref: keyId }, KeyType: 'API_KEY' }));
  });

  test('writes access logs to a bucket of their own', () => {
    // Prepare
    const logging = distribution().Logging;

    // Assess
    expect(logging?.Prefix).toBe('console-cdn/');
    expect(JSON.stringify(logging?.Bucket)).toContain('ConsoleAccessLogs');
  });
});

describe('console site: the API and the app', () => {
  test('adds the console\'s routes to the REST API, each needing the API key, served by the api function', () => {
    // Prepare
    const methods = resourcesOf(json, 'AWS::ApiGateway::Method').map(([, m]) => m.Properties ?? {});
    const resources = new Map(resourcesOf(json, 'AWS::ApiGateway::Resource').map(([id, r]) => [id, r.Properties?.PathPart as string]));
    const lastPart = (path: string) => path.split('/').pop();

    // Assess
    for (const [method, path] of CONSOLE_API_ROUTES) {
      const found = methods.filter(
        (m) => m.HttpMethod === method && resources.get((m.ResourceId as { Ref: string }).Ref) === lastPart(path),
      );
      expect(found.length, `${method} ${path}`).toBeGreaterThan(0);
      for (const m of found) {
        expect(m.ApiKeyRequired).toBe(true);
        expect(JSON.stringify(m.Integration)).toContain('ApiHandler');
      }
    }
  });

  test('lets the api function Scan the decisions table for the backtest, and no other table nor role', () => {
    // Prepare
    const statements = result.assembly.stacks.flatMap((s) => identityStatements(s.template as CfnTemplate));

    // Act
    const scans = statements.filter(({ statement }) => actionsOf(statement).includes('dynamodb:Scan'));

    // Assess
    expect(scans).toHaveLength(1);
    const [scan] = scans;
    expect(scan && actionsOf(scan.statement)).toEqual(['dynamodb:Scan']);
    expect(JSON.stringify(scan?.statement.Resource)).toMatch(/DecisionsTable/);
    expect(JSON.stringify(scan?.statement.Resource)).not.toMatch(/index|StateTable|FeaturesTable/);
    expect(scan?.logicalId).toMatch(/^ApiHandler/);
  });

  test('names the state table for users add --aws-table, and passes cdk-nag with every finding acknowledged', () => {
    // Assess
    expect(JSON.stringify(json.Outputs)).toContain('ConsoleStateTable');
    expect(unacknowledgedFindings(result)).toEqual([]);
  });

  test('is off unless asked for, and refused with the HTTP front, which a browser cannot sign', () => {
    // Act
    const off = readInfraConfig(new App({ context: cdkJsonContext() }));
    const http = () => synthApp({ console: 'true', api: 'http' });

    // Assess
    expect(off.console).toBe(false);
    expect(http).toThrow(/console=true needs the REST front/);
  });
});
