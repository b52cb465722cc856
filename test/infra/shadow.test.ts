import { beforeAll, describe, expect, test } from 'vitest';
import { ENV } from '../../src/adapters/aws/tables.js';
import {
  actionsOf,
  identityStatements,
  resourceByPrefix,
  synthApp,
  templateOf,
  unacknowledgedFindings,
  type CfnTemplate,
  type SynthResult,
} from './helpers/synth.js';

/** A challenger model and rules in shadow, with every batch scorer deployed (the table stream only exists in store mode). */
const CONTEXT = { shadowModel: 'true', shadowRules: 'true', apiMode: 'store' };

let result: SynthResult;
let pipeline: CfnTemplate;

beforeAll(() => {
  result = synthApp(CONTEXT);
  pipeline = templateOf(result, 'Fraudmini-dev-Pipeline');
});

const variables = (prefix: string): Record<string, unknown> =>
  (resourceByPrefix(pipeline, 'AWS::Lambda::Function', prefix)[1].Properties?.Environment as { Variables: Record<string, unknown> }).Variables;

/** The S3 statements of a function's role policy. */
const s3Statements = (policyPrefix: string) =>
  identityStatements({ Resources: { policy: resourceByPrefix(pipeline, 'AWS::IAM::Policy', policyPrefix)[1] } })
    .map((s) => s.statement)
    .filter((s) => actionsOf(s).some((a) => a.startsWith('s3:')));

describe('shadow challengers on AWS (-c shadowModel=true -c shadowRules=true)', () => {
  test.each(['ScoringScoreFunction', 'KinesisScoringStreamFunction', 'TableStreamScoringTableStreamFunction'])(
    '%s reads the challenger from models/shadow.json and models/shadow-rules.json of the refined bucket',
    (prefix) => {
      const vars = variables(prefix);
      expect(JSON.stringify(vars[ENV.shadowModelUri])).toMatch(/"s3:\/\/",.*RefinedBucket.*"\/models\/shadow\.json"/);
      expect(JSON.stringify(vars[ENV.shadowRulesUri])).toMatch(/"s3:\/\/",.*RefinedBucket.*"\/models\/shadow-rules\.json"/);
    },
  );

  test('the api function, which only reads the shadow decisions (state table), gets no challenger', () => {
    const vars = variables('ApiHandlerFunction');
    expect(vars[ENV.shadowModelUri]).toBeUndefined();
    expect(vars[ENV.shadowRulesUri]).toBeUndefined();
    expect(JSON.stringify(s3Statements('ApiHandlerRoleDefaultPolicy'))).not.toContain('shadow');
  });

  test.each(['ScoringScoreRoleDefaultPolicy', 'KinesisScoringStreamRoleDefaultPolicy', 'TableStreamScoringTableStreamRoleDefaultPolicy'])(
    '%s may get exactly the two challenger objects, no wildcard',
    (policy) => {
      const reads = s3Statements(policy).filter((s) => JSON.stringify(s.Resource).includes('shadow'));
      expect(reads).toHaveLength(1);
      expect(actionsOf(reads[0] as (typeof reads)[number])).toEqual(['s3:GetObject']);
      const resources = JSON.stringify(reads[0]?.Resource);
      expect(resources).toMatch(/"\/models\/shadow\.json"/);
      expect(resources).toMatch(/"\/models\/shadow-rules\.json"/);
      expect(resources).not.toMatch(/shadow[^"]*\*/);
    },
  );

  test('cdk-nag finds nothing unacknowledged', () => {
    expect(unacknowledgedFindings(result)).toEqual([]);
  });
});
