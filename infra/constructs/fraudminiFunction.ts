import { join } from 'node:path';
import { type Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { projectRoot } from '../projectRoot.js';

/**
 * How handlers are bundled (esbuild, no Docker): ESM for Node 22 with a `require` shim for
 * CommonJS dependencies, minified, everything included (the AWS SDK too, so Lambda runs the SDK
 * the tests ran). Shared with `scripts/lambda-bundles.ts`, which measures size and cold start.
 */
export const LAMBDA_BUNDLE = {
  target: 'node22',
  mainFields: ['module', 'main'],
  banner: "import { createRequire as __fraudminiCreateRequire } from 'node:module'; const require = __fraudminiCreateRequire(import.meta.url);",
  minify: true,
} as const;

export interface FraudminiFunctionProps {
  /** Handler module in `src/handlers/` (without extension); it exports `handler`. */
  entry: 'ingest' | 'score' | 'api' | 'stream' | 'tableStream' | 'notify';
  /** Function timeout. Consuming queues derive their visibility timeout from it. */
  timeout: Duration;
  /** @default 512 */
  memorySize?: number;
  /** Reserved concurrency: caps cost and protects downstream tables from a flood. */
  reservedConcurrency: number;
  /** Handler environment (names from `ENV`); Powertools settings are added here. */
  environment: Record<string, string>;
  /** Encrypts the log group. */
  logKey: kms.IKey;
  /** Log retention in days (must be a CloudWatch retention value). */
  logRetentionDays: number;
  /** Powertools log level. */
  logLevel: string;
  /**
   * Whether Lambda may let the function feed its own trigger (it stops such loops after about
   * 16 rounds otherwise).
   * @default false
   */
  allowRecursiveLoop?: boolean;
  /**
   * Runs the function in these isolated subnets with this security group (`-c vpc=true`).
   * @default none (Lambda's own network, reaching AWS over TLS)
   */
  network?: { vpc: ec2.IVpc; securityGroup: ec2.ISecurityGroup };
}

/**
 * A fraudmini Lambda function with the house defaults, each deliberate:
 *
 * - runtime Node.js 22.x on arm64 (Graviton: ~20 % cheaper per GB-s than x86).
 * - bundled by the local esbuild (no Docker) as ESM with a `require` shim for CommonJS
 *   dependencies; ESM allows top-level await in handlers (cold-start secret reads).
 * - everything bundled, `@aws-sdk/*` included: the deployed code is exactly what the emulator
 *   tests ran (the runtime's SDK version drifts), at the cost of a larger bundle.
 * - minified with external source maps and `--enable-source-maps`, so stack traces point at
 *   the TypeScript.
 * - X-Ray tracing active; JSON logs into its own KMS-encrypted log group with fixed retention,
 *   kept (RETAIN) as an audit trail.
 * - its own role with no managed policy: only log writing here, everything else by grants.
 */
export class FraudminiFunction extends Construct {
  /** The function. */
  readonly fn: nodejs.NodejsFunction;
  /** Its log group. */
  readonly logGroup: logs.LogGroup;
  /** Its execution role. */
  readonly role: iam.Role;
  /** Its timeout (for queue visibility timeouts). */
  readonly timeout: Duration;

  constructor(scope: Construct, id: string, props: FraudminiFunctionProps) {
    super(scope, id);
    const root = projectRoot();
    this.timeout = props.timeout;
    const retention = props.logRetentionDays as logs.RetentionDays;
    if (!Object.values(logs.RetentionDays).includes(retention)) {
      throw new Error(`logRetentionDays ${String(props.logRetentionDays)} is not a CloudWatch Logs retention value`);
    }
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention,
      encryptionKey: props.logKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `fraudmini ${props.entry} function`,
    });
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'WriteOwnLogs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );
    this.fn = new nodejs.NodejsFunction(this, 'Function', {
      entry: join(root, 'src', 'handlers', `${props.entry}.ts`),
      handler: 'handler',
      projectRoot: root,
      depsLockFilePath: join(root, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout,
      reservedConcurrentExecutions: props.reservedConcurrency,
      tracing: lambda.Tracing.ACTIVE,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      ...(props.network
        ? {
            vpc: props.network.vpc,
            vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
            securityGroups: [props.network.securityGroup],
          }
        : {}),
      recursiveLoop: props.allowRecursiveLoop === true ? lambda.RecursiveLoop.ALLOW : lambda.RecursiveLoop.TERMINATE,
      environment: {
        ...props.environment,
        POWERTOOLS_SERVICE_NAME: `fraudmini-${props.entry}`,
        POWERTOOLS_METRICS_NAMESPACE: 'fraudmini',
        POWERTOOLS_LOG_LEVEL: props.logLevel,
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: {
        format: nodejs.OutputFormat.ESM,
        target: LAMBDA_BUNDLE.target,
        mainFields: [...LAMBDA_BUNDLE.mainFields],
        banner: LAMBDA_BUNDLE.banner,
        minify: LAMBDA_BUNDLE.minify,
        sourceMap: true,
        sourcesContent: false,
        externalModules: [],
        bundleAwsSDK: true,
        forceDockerBundling: false,
      },
    });
    Validations.of(this.role).acknowledge(
      {
        id: 'PCI.DSS.321-IAMNoInlinePolicy',
        reason: 'The inline policy belongs to this one role, is generated from exact grants, and is deleted with it; nothing else can attach it.',
      },
      ...(props.entry === 'tableStream'
        ? []
        : [{ id: 'AwsSolutions-IAM5[Resource::*]', reason: 'X-Ray PutTraceSegments/PutTelemetryRecords do not support resource-level permissions.' }]),
    );
    Validations.of(this.fn).acknowledge(
      {
        id: 'AwsSolutions-L1',
        reason: ('Pinned to nodejs22.x, the runtime the handlers and the Powertools 2.35.0 pin are built and tested for; moving to 24.x is a deliberate upgrade.'),
      },
      {
        id: 'PCI.DSS.321-LambdaDLQ',
        reason: ('Never invoked asynchronously: SQS, Kinesis and DynamoDB event source mappings and API Gateway invoke it synchronously; failures go to the source queues\' DLQs and the mappings\' on-failure queues.'),
      },
      ...(props.network
        ? []
        : [
            {
              id: 'PCI.DSS.321-LambdaInsideVPC',
              reason: ('Talks only to AWS APIs (S3, SQS, DynamoDB, SNS, Secrets Manager) over TLS with IAM and KMS; no VPC resources to reach, and a VPC would add NAT or endpoint cost without narrowing access (-c vpc=true puts it in one).'),
            },
          ]),
    );
    if (props.network) {
      Validations.of(this.role).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
        reason: 'The AWS managed policy Lambda needs to create and delete the network interfaces of a function in a VPC; CDK attaches it when a function gets a VPC.',
      });
    }
  }
}
