import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { ENV } from '../../src/adapters/aws/tables.js';
import { grantKey } from './access.js';
import type { FraudminiFunction } from './fraudminiFunction.js';

/** The object key of a challenger model scored in shadow, in the refined bucket. */
export const SHADOW_MODEL_KEY = 'models/shadow.json';
/** The object key of a challenger rules document scored in shadow, in the refined bucket. */
export const SHADOW_RULES_KEY = 'models/shadow-rules.json';

/** Which challenger objects the batch scorers read (`-c shadowModel=true`, `-c shadowRules=true`). */
export interface ShadowChallengerProps {
  refinedBucket: s3.IBucket;
  dataKey: kms.IKey;
  model: boolean;
  rules: boolean;
}

/**
 * Runs a shadow challenger in the batch scorers (score, stream, table stream): points each at the
 * challenger's objects of the refined bucket and lets it read those two keys and nothing more
 * (exact object ARNs, `s3:GetObject`, which HeadObject also needs; Decrypt on the data key). Its
 * decisions go to the state table, which the scorers and the api function can already use. Nothing
 * is added when neither is on.
 */
export function shadowChallengerAccess(functions: readonly FraudminiFunction[], props: ShadowChallengerProps): void {
  const objects: [string, string][] = [
    ...(props.model ? [[ENV.shadowModelUri, SHADOW_MODEL_KEY] as [string, string]] : []),
    ...(props.rules ? [[ENV.shadowRulesUri, SHADOW_RULES_KEY] as [string, string]] : []),
  ];
  if (objects.length === 0) return;
  for (const f of functions) {
    f.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: objects.map(([, key]) => props.refinedBucket.arnForObjects(key)) }),
    );
    grantKey(f.role, props.dataKey, 'kms:Decrypt');
    for (const [name, key] of objects) f.fn.addEnvironment(name, `s3://${props.refinedBucket.bucketName}/${key}`);
  }
}
