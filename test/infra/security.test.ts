import { readdirSync, readFileSync } from 'node:fs';
import { join, sep } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, test } from 'vitest';
import { projectRoot } from '../../infra/projectRoot.js';
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

const STACK = 'Fraudmini-dev-Pipeline';
let result: SynthResult;
let json: CfnTemplate;
let template: Template;

beforeAll(() => {
  result = synthApp();
  json = templateOf(result, STACK);
  template = Template.fromJSON(json);
});

/** Every API method as `METHOD /path`, with its properties. */
function methods(): Map<string, Record<string, unknown>> {
  const resources = new Map(resourcesOf(json, 'AWS::ApiGateway::Resource'));
  const pathOf = (id: string): string => {
    const r = resources.get(id)?.Properties ?? {};
    const parent = r.ParentId as { Ref?: string };
    return `${parent.Ref === undefined ? '' : pathOf(parent.Ref)}/${String(r.PathPart)}`;
  };
  const out = new Map<string, Record<string, unknown>>();
  for (const [, method] of resourcesOf(json, 'AWS::ApiGateway::Method')) {
    const p = method.Properties ?? {};
    out.set(`${String(p.HttpMethod)} ${pathOf((p.ResourceId as { Ref: string }).Ref)}`, p);
  }
  return out;
}

/** The admin routes: IAM-authorised on top of the API key. */
const ADMIN_ROUTES = ['PUT /rules', 'GET /rules/audit'];

describe('API: a separate admin credential for rule changes', () => {
  test('admin routes need IAM authorisation and the API key; every other route the API key only', () => {
    // Act
    const all = methods();

    // Assess
    for (const route of ADMIN_ROUTES) {
      expect(all.get(route), route).toMatchObject({ AuthorizationType: 'AWS_IAM', ApiKeyRequired: true });
    }
    for (const [route, props] of all) {
      if (ADMIN_ROUTES.includes(route)) continue;
      expect({ route, auth: props.AuthorizationType ?? 'NONE' }).toEqual({ route, auth: 'NONE' });
    }
  });

  test('a managed policy lets a principal invoke exactly the admin routes, and its ARN is an output', () => {
    // Assess
    const policies = template.findResources('AWS::IAM::ManagedPolicy', {
      Properties: {
        PolicyDocument: {
          Statement: [Match.objectLike({ Action: 'execute-api:Invoke', Effect: 'Allow' })],
        },
      },
    });
    expect(Object.keys(policies)).toHaveLength(1);
    const [id, policy] = Object.entries(policies)[0] as [string, { Properties: { PolicyDocument: { Statement: { Resource: unknown }[] } } }];
    const resources = [policy.Properties.PolicyDocument.Statement[0]?.Resource].flat().map((r) => JSON.stringify(r));
    expect(resources).toHaveLength(ADMIN_ROUTES.length);
    for (const route of ADMIN_ROUTES) {
      const [method, path] = route.split(' ');
      expect(resources.some((r) => r.includes(`/${method}${path}"`)), route).toBe(true);
    }
    template.hasOutput('*', { Value: { Ref: id } });
  });

  test('cdk-nag stays clean', () => {
    expect(unacknowledgedFindings(result)).toEqual([]);
  });
});

describe('IAM: DynamoDB grants only the calls the code makes', () => {
  test('the code scans a table in one place only: the console backtest\'s labelled history', () => {
    // Prepare
    const files = readdirSync(join(projectRoot(), 'src'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    // Act
    const scanning = files.filter((f) => /\bScan(Command|CommandInput|Input|Paginator)\b|paginateScan/.test(readFileSync(join(projectRoot(), 'src', f), 'utf8')));
    // Assess
    expect(files.length).toBeGreaterThan(50);
    expect(scanning.map((f) => f.split(sep).join('/'))).toEqual(['adapters/aws/DynamoLabelledHistory.ts']);
  });

  // With -c console=true the api function may Scan the decisions table: test/infra/consoleSite.test.ts.
  test('so without the console no role of any stack may call dynamodb:Scan', () => {
    // Prepare
    const statements = result.assembly.stacks.flatMap((s) => identityStatements(s.template as CfnTemplate));
    // Act
    const dynamoActions = statements.flatMap(({ statement }) => actionsOf(statement)).filter((a) => a.startsWith('dynamodb:'));
    // Assess
    expect(dynamoActions).toContain('dynamodb:Query');
    expect(dynamoActions).not.toContain('dynamodb:Scan');
    template.allResourcesProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.not(Match.arrayWith([Match.objectLike({ Action: Match.arrayWith(['dynamodb:Scan']) })])) },
    });
  });
});
