/**
 * Builds and synthesises the CDK app in process, the way the CLI would: with `cdk.json`'s
 * context (feature flags, defaults) under the test's own context, into a temporary directory.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUNDLING_STACKS, type CloudAssembly } from 'aws-cdk-lib/cx-api';
import { buildFraudminiApp, type FraudminiApp } from '../../../infra/fraudminiApp.js';
import { projectRoot } from '../../../infra/projectRoot.js';

/** The app, its synthesised assembly and where it was written. */
export interface SynthResult extends FraudminiApp {
  assembly: CloudAssembly;
  outdir: string;
}

/** `cdk.json`'s context. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(projectRoot(), 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
  return cdkJson.context;
}

/**
 * Synthesises the app with `context` over `cdk.json`'s; throws on unacknowledged cdk-nag
 * findings. Function bundling is skipped (`aws:cdk:bundling-stacks: []`) so these tests pin
 * the infrastructure whatever state the handler code is in; the CLI synth test bundles for real.
 */
export function synthApp(context: Record<string, unknown> = {}): SynthResult {
  const outdir = mkdtempSync(join(tmpdir(), 'fraudmini-cdk-'));
  const built = buildFraudminiApp({
    outdir,
    context: { ...cdkJsonContext(), [BUNDLING_STACKS]: [], ...context },
  });
  const assembly = built.app.synth();
  return { ...built, assembly, outdir };
}

/** A statement of an IAM policy document as CloudFormation renders it. */
export interface Statement {
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  Resource?: unknown;
  Principal?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
  Sid?: string;
}

/** Every statement of every identity policy (AWS::IAM::Policy, inline role policies) in a template. */
export function identityStatements(template: { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> }): {
  logicalId: string;
  statement: Statement;
}[] {
  const out: { logicalId: string; statement: Statement }[] = [];
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    const docs: { Statement: Statement[] }[] = [];
    if (resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy') {
      docs.push(resource.Properties?.PolicyDocument as { Statement: Statement[] });
    }
    if (resource.Type === 'AWS::IAM::Role') {
      for (const p of (resource.Properties?.Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[]) {
        docs.push(p.PolicyDocument);
      }
    }
    for (const doc of docs) for (const statement of doc.Statement) out.push({ logicalId, statement });
  }
  return out;
}

/** A statement's actions as an array. */
export function actionsOf(statement: Statement): string[] {
  return statement.Action === undefined ? [] : Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}

/** A CloudFormation template as JSON. */
export interface CfnTemplate {
  Resources: Record<string, CfnResourceJson>;
  Outputs?: Record<string, unknown>;
}

/** One resource of a template. */
export interface CfnResourceJson {
  Type: string;
  Properties?: Record<string, unknown>;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
}

/** The template of a stack of a synthesised assembly. */
export function templateOf(result: SynthResult, stackName: string): CfnTemplate {
  return result.assembly.getStackByName(stackName).template as CfnTemplate;
}

/** Resources of one type, by logical ID. */
export function resourcesOf(template: CfnTemplate, type: string): [string, CfnResourceJson][] {
  return Object.entries(template.Resources).filter(([, r]) => r.Type === type);
}

/** The one resource of a type whose logical ID starts with `prefix` (construct path without separators). */
export function resourceByPrefix(template: CfnTemplate, type: string, prefix: string): [string, CfnResourceJson] {
  const found = resourcesOf(template, type).filter(([id]) => id.startsWith(prefix));
  if (found.length !== 1) throw new Error(`${String(found.length)} ${type} resources start with ${prefix}`);
  return found[0] as [string, CfnResourceJson];
}

/** Findings cdk-nag (or any validation plugin) left in the assembly's report. */
export function unacknowledgedFindings(result: SynthResult): unknown[] {
  const report = JSON.parse(readFileSync(join(result.outdir, 'validation-report.json'), 'utf8')) as {
    pluginReports: { violations?: unknown[] }[];
  };
  return report.pluginReports.flatMap((r) => r.violations ?? []);
}
