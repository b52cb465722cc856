/**
 * The CDK app's settings, read once from CDK context (`cdk.json` or `-c key=value`) and
 * validated, so a typo fails synth with a message instead of deploying something unexpected.
 * Context values from the command line arrive as strings and values from `cdk.json` as JSON,
 * so every reader accepts both.
 */
import { type App } from 'aws-cdk-lib';

/** Functions whose reserved concurrency can be set with `-c concurrency.<name>=N`. */
export type FunctionName = 'ingest' | 'score' | 'api' | 'stream' | 'tableStream' | 'notify';

export interface InfraConfig {
  /** Environment suffix of every stack name (`-c env=prod`). @default 'dev' */
  envName: string;
  /** Score with the model at `s3://<refined>/models/model.json` (`-c model=true`). @default false (rules only) */
  model: boolean;
  /**
   * Score a challenger model in shadow beside the one in force: `s3://<refined>/models/shadow.json`
   * (`-c shadowModel=true`). @default false
   */
  shadowModel: boolean;
  /**
   * Score challenger rules in shadow beside those in force: `s3://<refined>/models/shadow-rules.json`
   * (`-c shadowRules=true`). @default false
   */
  shadowRules: boolean;
  /** API Gateway steady-state requests per second per stage. @default 1000 */
  apiRateLimit: number;
  /** API Gateway burst. @default 2 × apiRateLimit */
  apiBurstLimit: number;
  /**
   * `score`: POST /transactions decides synchronously. `store`: it only stores, and the
   * transactions table's stream feeds `tableStream` (deployed only in this mode, so a
   * transaction is never scored twice). @default 'score'
   */
  apiMode: 'score' | 'store';
  /** Put a WAF web ACL (AWS managed common rules + a rate rule) in front of the API. @default true */
  waf: boolean;
  /**
   * The API's front: `rest` (API Gateway REST API: usage-plan API key, IAM on admin routes, WAF),
   * `http` (API Gateway HTTP API: IAM authorisation on every route, no WAF) or `url` (the client
   * routes on a Lambda function URL with IAM auth, the admin routes on an IAM-authorised HTTP API;
   * no WAF, reserved concurrency the only throttle). @default 'rest'
   */
  api: 'rest' | 'http' | 'url';
  /**
   * DynamoDB capacity: `on-demand` (pay per request) or `provisioned` (auto scaling between the
   * bounds of `PROVISIONED_CAPACITY`). @default 'on-demand'
   */
  capacity: 'on-demand' | 'provisioned';
  /** Reserved concurrency per function. */
  concurrency: Record<FunctionName, number>;
  /** Receives before a message moves to its queue's DLQ. @default 3 */
  maxReceiveCount: number;
  /** Days before `processed/` and `failed/` objects move to Glacier. @default 180 */
  glacierAfterDays: number;
  /** Days before `processed/` and `failed/` objects expire. @default 2555 (≈ 7 years) */
  retentionDays: number;
  /** Days before an unprocessed raw `inbox/` object expires (safety net). @default 30 */
  inboxExpireDays: number;
  /** CloudWatch Logs retention in days; PCI DSS 10.7 asks for one year. @default 365 */
  logRetentionDays: number;
  /**
   * Run the functions in a VPC of private isolated subnets with VPC endpoints and no NAT
   * (`-c vpc=true`). @default false
   */
  vpc: boolean;
  /** The analyst console as a static site (S3 + CloudFront) in front of the REST API (`-c console=true`). @default false */
  console: boolean;
  /** Create the Kinesis entry point (on-demand stream + `stream` function). @default true */
  kinesis: boolean;
  /** Label delay given to the handlers. @default '7d' */
  labelDelay: string;
  /** Powertools log level. @default 'INFO' */
  logLevel: string;
  /** Email subscribed to the fraud alerts topic. @default none */
  alertEmail?: string;
  /** Email subscribed to the ops (alarms) topic. @default none */
  opsEmail?: string;
  /** `owner/repo` allowed to deploy from `main` via GitHub OIDC; no deploy stack without it. */
  githubRepo?: string;
  /** ARN of an existing GitHub OIDC provider (one per account); created when absent. */
  githubOidcProviderArn?: string;
  /** CDK bootstrap qualifier, to name the bootstrap roles the deploy role may assume. @default 'hnb659fds' */
  cdkQualifier: string;
}

/** Thrown when a context value cannot be used; the message names the key and what it accepts. */
export class InfraConfigError extends Error {
  constructor(key: string, value: unknown, expected: string) {
    super(`context "${key}" is ${JSON.stringify(value)}: expected ${expected}`);
    this.name = 'InfraConfigError';
  }
}

const DEFAULT_CONCURRENCY: Record<FunctionName, number> = {
  ingest: 5,
  score: 20,
  api: 50,
  stream: 10,
  tableStream: 10,
  notify: 2,
};

type Context = (key: string) => unknown;

function str(ctx: Context, key: string, fallback: string, pattern?: RegExp): string {
  const value = ctx(key) ?? fallback;
  if (typeof value !== 'string' || (pattern !== undefined && !pattern.test(value))) {
    throw new InfraConfigError(key, value, pattern === undefined ? 'a string' : `a string matching ${String(pattern)}`);
  }
  return value;
}

function optional(ctx: Context, key: string, pattern: RegExp): string | undefined {
  const value = ctx(key);
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string' || !pattern.test(value)) {
    throw new InfraConfigError(key, value, `a string matching ${String(pattern)}`);
  }
  return value;
}

function int(ctx: Context, key: string, fallback: number, min: number, max: number): number {
  const raw = ctx(key) ?? fallback;
  const value = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : raw;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InfraConfigError(key, raw, `an integer from ${min} to ${max}`);
  }
  return value;
}

function bool(ctx: Context, key: string, fallback: boolean): boolean {
  const raw = ctx(key) ?? fallback;
  if (raw === true || raw === 'true') return true;
  if (raw === false || raw === 'false') return false;
  throw new InfraConfigError(key, raw, 'true or false');
}

/**
 * Reads and validates the app's context.
 *
 * @example
 * const config = readInfraConfig(new App({ context: { env: 'prod', model: 'true' } }));
 */
export function readInfraConfig(app: App): InfraConfig {
  const ctx: Context = (key) => app.node.tryGetContext(key) as unknown;
  const apiRateLimit = int(ctx, 'apiRateLimit', 1000, 1, 10_000);
  const glacierAfterDays = int(ctx, 'glacierAfterDays', 180, 1, 3650);
  const retentionDays = int(ctx, 'retentionDays', 2555, 1, 36_500);
  if (retentionDays <= glacierAfterDays) {
    throw new InfraConfigError('retentionDays', retentionDays, `more days than glacierAfterDays (${glacierAfterDays})`);
  }
  const concurrency = { ...DEFAULT_CONCURRENCY };
  for (const name of Object.keys(concurrency) as FunctionName[]) {
    concurrency[name] = int(ctx, `concurrency.${name}`, DEFAULT_CONCURRENCY[name], 1, 1000);
  }
  return {
    envName: str(ctx, 'env', 'dev', /^[a-z][a-z0-9-]{0,15}$/),
    model: bool(ctx, 'model', false),
    shadowModel: bool(ctx, 'shadowModel', false),
    shadowRules: bool(ctx, 'shadowRules', false),
    apiRateLimit,
    apiBurstLimit: int(ctx, 'apiBurstLimit', apiRateLimit * 2, 1, 20_000),
    apiMode: str(ctx, 'apiMode', 'score', /^(score|store)$/) as 'score' | 'store',
    waf: bool(ctx, 'waf', true),
    api: str(ctx, 'api', 'rest', /^(rest|http|url)$/) as 'rest' | 'http' | 'url',
    capacity: str(ctx, 'capacity', 'on-demand', /^(on-demand|provisioned)$/) as 'on-demand' | 'provisioned',
    concurrency,
    maxReceiveCount: int(ctx, 'maxReceiveCount', 3, 1, 1000),
    glacierAfterDays,
    retentionDays,
    inboxExpireDays: int(ctx, 'inboxExpireDays', 30, 1, 3650),
    logRetentionDays: int(ctx, 'logRetentionDays', 365, 1, 3653),
    kinesis: bool(ctx, 'kinesis', true),
    console: bool(ctx, 'console', false),
    vpc: bool(ctx, 'vpc', false),
    labelDelay: str(ctx, 'labelDelay', '7d', /^\d+[smhd]$/),
    logLevel: str(ctx, 'logLevel', 'INFO', /^(DEBUG|INFO|WARN|ERROR)$/),
    alertEmail: optional(ctx, 'alertEmail', /^[^@\s]+@[^@\s]+$/),
    opsEmail: optional(ctx, 'opsEmail', /^[^@\s]+@[^@\s]+$/),
    githubRepo: optional(ctx, 'githubRepo', /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/),
    githubOidcProviderArn: optional(ctx, 'githubOidcProviderArn', /^arn:aws[a-z-]*:iam::\d{12}:oidc-provider\/.+$/),
    cdkQualifier: str(ctx, 'cdkQualifier', 'hnb659fds', /^[a-z0-9]{1,10}$/),
  };
}
