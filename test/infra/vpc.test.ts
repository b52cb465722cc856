import { beforeAll, describe, expect, test } from 'vitest';
import { resourcesOf, synthApp, templateOf, unacknowledgedFindings, type CfnTemplate, type SynthResult } from './helpers/synth.js';

/** The fraudmini functions (Powertools service name set), not CDK's own custom-resource handlers. */
function fraudminiFunctions(template: CfnTemplate): [string, Record<string, unknown>][] {
  return resourcesOf(template, 'AWS::Lambda::Function')
    .filter(([, fn]) => JSON.stringify(fn.Properties?.Environment ?? {}).includes('POWERTOOLS_SERVICE_NAME'))
    .map(([id, fn]) => [id, fn.Properties ?? {}]);
}

/** The service an endpoint is for, from its `com.amazonaws.<region>.<service>` name. */
function serviceOf(properties: Record<string, unknown> | undefined): string {
  // A string for interface endpoints, a Fn::Join ending in ".<service>" for gateway ones.
  const words = JSON.stringify(properties?.ServiceName ?? '').match(/[a-z0-9-]+/g) ?? [];
  return words[words.length - 1] ?? '';
}

describe('vpc=true', () => {
  let result: SynthResult;
  let pipeline: CfnTemplate;

  beforeAll(() => {
    // synthApp throws on any unacknowledged cdk-nag finding: this synth is the nag check too.
    result = synthApp({ vpc: 'true' });
    pipeline = templateOf(result, 'Fraudmini-dev-Pipeline');
  });

  test('is cdk-nag clean', () => {
    expect(unacknowledgedFindings(result)).toEqual([]);
  });

  test('the VPC has isolated subnets only: no internet gateway, no NAT, no public addresses', () => {
    expect(resourcesOf(pipeline, 'AWS::EC2::VPC')).toHaveLength(1);
    expect(resourcesOf(pipeline, 'AWS::EC2::InternetGateway')).toEqual([]);
    expect(resourcesOf(pipeline, 'AWS::EC2::NatGateway')).toEqual([]);
    const subnets = resourcesOf(pipeline, 'AWS::EC2::Subnet');
    expect(subnets.length).toBeGreaterThanOrEqual(2);
    for (const [, subnet] of subnets) expect(subnet.Properties?.MapPublicIpOnLaunch).toBe(false);
    expect(resourcesOf(pipeline, 'AWS::EC2::FlowLog')).toHaveLength(1);
  });

  test('gateway endpoints for S3 and DynamoDB, interface endpoints with private DNS for the other services', () => {
    const endpoints = resourcesOf(pipeline, 'AWS::EC2::VPCEndpoint').map(([, e]) => e.Properties);
    const gateway = endpoints.filter((e) => e?.VpcEndpointType === 'Gateway').map(serviceOf).sort();
    const iface = endpoints.filter((e) => e?.VpcEndpointType === 'Interface');
    expect(gateway).toEqual(['dynamodb', 's3']);
    expect(iface.map(serviceOf).sort()).toEqual(['kinesis-streams', 'kms', 'logs', 'secretsmanager', 'sns', 'sqs', 'xray']);
    for (const e of iface) expect(e?.PrivateDnsEnabled).toBe(true);
  });

  test('every fraudmini function runs in the isolated subnets with the functions security group', () => {
    const functions = fraudminiFunctions(pipeline);
    expect(functions.length).toBeGreaterThanOrEqual(5);
    for (const [id, fn] of functions) {
      const config = fn.VpcConfig as { SecurityGroupIds: unknown[]; SubnetIds: unknown[] } | undefined;
      expect(config, id).toBeDefined();
      expect(JSON.stringify(config?.SecurityGroupIds)).toContain('NetworkFunctions');
      expect(JSON.stringify(config?.SubnetIds)).toContain('isolated');
    }
  });

  test('security groups: functions take nothing in and send HTTPS only; endpoints take HTTPS from the functions only', () => {
    const groups = Object.fromEntries(resourcesOf(pipeline, 'AWS::EC2::SecurityGroup').map(([id, g]) => [id, g.Properties ?? {}]));
    const functionsId = Object.keys(groups).find((id) => id.startsWith('NetworkFunctions')) ?? '';
    const endpointsId = Object.keys(groups).find((id) => id.startsWith('NetworkEndpoints')) ?? '';
    const fns = groups[functionsId] as { SecurityGroupIngress?: unknown[]; SecurityGroupEgress?: { IpProtocol: string; FromPort: number; ToPort: number }[] };
    expect(fns.SecurityGroupIngress ?? []).toEqual([]);
    for (const rule of fns.SecurityGroupEgress ?? []) expect(rule).toMatchObject({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443 });
    const ingress = resourcesOf(pipeline, 'AWS::EC2::SecurityGroupIngress').map(([, r]) => r.Properties);
    expect(ingress).toHaveLength(1);
    expect(ingress[0]).toMatchObject({
      IpProtocol: 'tcp',
      FromPort: 443,
      ToPort: 443,
      GroupId: { 'Fn::GetAtt': [endpointsId, 'GroupId'] },
      SourceSecurityGroupId: { 'Fn::GetAtt': [functionsId, 'GroupId'] },
    });
    const egress = resourcesOf(pipeline, 'AWS::EC2::SecurityGroupEgress').map(([, r]) => r.Properties);
    for (const rule of egress) expect(rule).toMatchObject({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443 });
  });
});

describe('vpc unset (the default)', () => {
  test('creates no VPC and runs the functions outside one', () => {
    const pipeline = templateOf(synthApp(), 'Fraudmini-dev-Pipeline');
    expect(resourcesOf(pipeline, 'AWS::EC2::VPC')).toEqual([]);
    for (const [id, fn] of fraudminiFunctions(pipeline)) expect(fn.VpcConfig, id).toBeUndefined();
  });
});
