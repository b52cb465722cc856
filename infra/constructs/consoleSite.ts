import { join } from 'node:path';
import { CfnOutput, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { CONSOLE_CSP } from '../../src/server/consoleHeaders.js';
import { grantTableScan } from './access.js';
import type { Api } from './api.js';
import { projectRoot } from '../projectRoot.js';

/** The routes the console calls, each served by the `api` function (which checks the session). */
export const CONSOLE_API_ROUTES: readonly [method: string, path: string][] = [
  ['POST', 'session'],
  ['GET', 'session'],
  ['DELETE', 'session'],
  ['GET', 'queue'],
  ['GET', 'queue/{id}'],
  ['POST', 'queue/{id}/decision'],
  ['POST', 'queue/{id}/assign'],
  ['GET', 'events'],
  ['GET', 'cases'],
  ['POST', 'cases'],
  ['GET', 'cases/{id}'],
  ['POST', 'cases/{id}/alerts'],
  ['POST', 'cases/{id}/notes'],
  ['POST', 'cases/{id}/status'],
  ['POST', 'cases/{id}/assign'],
  ['GET', 'rules/versions'],
  ['POST', 'rules/versions'],
  ['GET', 'rules/versions/{id}'],
  ['POST', 'rules/versions/{id}/activate'],
  ['POST', 'rules/check'],
  ['POST', 'rules/backtest'],
];

/**
 * CloudFront path patterns sent to the API rather than to the bucket: the console's routes and
 * the API's read routes a session opens (`GET /rules`, `/stats`, `/alerts`, `/transactions/{id}`).
 */
export const CONSOLE_API_PATHS: readonly string[] = ['/session', '/queue', '/queue/*', '/events', '/cases', '/cases/*', '/rules', '/rules/*', '/stats', '/alerts', '/transactions/*'];

export interface ConsoleSiteProps {
  /** The API, with its REST front: the console's routes are added to it. */
  api: Api;
  /** The state table, named in an output for `fraudmini users add --aws-table`. */
  stateTable: dynamodb.ITable;
  /** The decisions table: the rules workbench's backtest reads it whole (`dynamodb:Scan`, this table only). */
  decisionsTable: dynamodb.ITable;
  /** Days CloudFront's and the bucket's access logs are kept. */
  logRetentionDays: number;
}

/**
 * The analyst console as a static site in front of the AWS API (`-c console=true`):
 *
 * - a private bucket (all public access blocked, TLS only, SSE-S3, versioned, access logs) holding
 *   `console/` (BucketDeployment; `index.html` also at the root), read only by CloudFront through
 *   origin access control;
 * - CloudFront, HTTPS only, with the console's security headers (the same Content-Security-Policy
 *   as the local server's, HSTS, nosniff, no referrer, no framing) on every response, and access
 *   logs;
 * - the API routes the page calls, under the same origin, forwarded to the REST API's stage
 *   without caching, with cookies, query strings and headers (`x-csrf-token`, `Last-Event-ID`):
 *   the session cookie is first-party, so `SameSite=Strict` holds and the CSRF check applies;
 * - the API key of the REST front added by CloudFront as an origin custom header, never seen by
 *   the browser: a key of its own (in its own usage plan, so it can be told apart and throttled),
 *   generated into Secrets Manager and resolved at deploy time into both the key and the header,
 *   so it is in no template.
 *
 * The console's routes are added to the REST API with the API key required, like every route; the
 * session is checked by the function. The HTTP and function URL fronts (`-c api=http|url`)
 * authorise with IAM, which a browser cannot sign: the console needs the REST front.
 */
export class ConsoleSite extends Construct {
  readonly bucket: s3.Bucket;
  readonly distribution: cloudfront.Distribution;

  constructor(scope: Construct, id: string, props: ConsoleSiteProps) {
    super(scope, id);
    const restApi = props.api.restApi;
    if (!restApi) throw new Error('-c console=true needs the REST front of the API (-c api=rest): the HTTP and function URL fronts authorise with IAM, which a browser cannot sign');

    // CloudFront's standard logs are written with ACLs: this bucket allows them (object writer).
    const logs = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      objectOwnership: s3.ObjectOwnership.OBJECT_WRITER,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(props.logRetentionDays), noncurrentVersionExpiration: Duration.days(30) }],
    });
    const isLogBucket = 'This is the access-log destination of the console site itself; logging it into itself would loop.';
    Validations.of(logs).acknowledge(
      { id: 'AwsSolutions-S1', reason: isLogBucket },
      { id: 'PCI.DSS.321-S3BucketLoggingEnabled', reason: isLogBucket },
      { id: 'PCI.DSS.321-S3DefaultEncryptionKMS', reason: 'CloudFront and S3 access logging deliver only to SSE-S3 buckets; the logs hold request metadata, never transaction data.' },
      { id: 'PCI.DSS.321-S3BucketReplicationEnabled', reason: 'Single-region deployment; the logs are versioned and retained, a replica region is a per-deployment choice.' },
    );

    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: logs,
      serverAccessLogsPrefix: 'console-bucket/',
      // Only the console's public files, rebuilt from the package on every deploy.
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: false,
      lifecycleRules: [{ id: 'expire-old-versions', noncurrentVersionExpiration: Duration.days(30) }],
    });
    const publicFiles = 'It holds only the console\'s own HTML, script and style sheet, the same files the npm package ships; no data.';
    Validations.of(this.bucket).acknowledge(
      { id: 'PCI.DSS.321-S3DefaultEncryptionKMS', reason: `SSE-S3: CloudFront's origin access control reads SSE-KMS objects only with a key policy grant; ${publicFiles}` },
      { id: 'PCI.DSS.321-S3BucketReplicationEnabled', reason: `Rebuilt from the package on every deploy. ${publicFiles}` },
    );

    // The console's key: API Gateway keeps it, CloudFront sends it; no person or page needs it.
    const keySecret = new secretsmanager.Secret(this, 'ApiKeySecret', {
      description: 'fraudmini console: the API key CloudFront sends to the REST API (origin custom header)',
      generateSecretString: { passwordLength: 40, excludePunctuation: true },
    });
    Validations.of(keySecret).acknowledge(
      { id: 'AwsSolutions-SMG4', reason: 'Rotating it means updating the API key and the CloudFront header together; it is rotated by redeploying with a new secret, not on a schedule.' },
      { id: 'PCI.DSS.321-SecretsManagerUsingKMSKey', reason: 'An API key between CloudFront and API Gateway, not cardholder data; the AWS managed key of Secrets Manager encrypts it.' },
    );
    const keyValue = keySecret.secretValue.unsafeUnwrap();
    const key = new apigw.ApiKey(this, 'ApiKey', { description: 'fraudmini console (CloudFront origin header)', value: keyValue });
    const plan = new apigw.UsagePlan(this, 'UsagePlan', {
      description: 'fraudmini console, through CloudFront',
      apiStages: [{ api: restApi, stage: restApi.deploymentStage }],
      throttle: { rateLimit: 100, burstLimit: 200 },
    });
    plan.addApiKey(key);

    // The backtest's labelled history: the decisions table has no index by time (see DynamoLabelledHistory).
    grantTableScan(props.api.api.role, props.decisionsTable);
    const integration = new apigw.LambdaIntegration(props.api.api.fn, { allowTestInvoke: false });
    for (const [method, path] of CONSOLE_API_ROUTES) {
      const resource = restApi.root.resourceForPath(path);
      if (!resource.node.tryFindChild(method)) resource.addMethod(method, integration);
    }

    const headers = new cloudfront.ResponseHeadersPolicy(this, 'Headers', {
      comment: 'fraudmini console: the same security headers as the local console',
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: CONSOLE_CSP, override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER, override: true },
        strictTransportSecurity: { accessControlMaxAge: Duration.days(730), includeSubdomains: true, preload: false, override: true },
      },
    });
    const apiOrigin = new origins.RestApiOrigin(restApi, { customHeaders: { 'x-api-key': keyValue } });
    const apiBehavior: cloudfront.BehaviorOptions = {
      origin: apiOrigin,
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
      allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
      cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
      // Cookies, query strings and headers (x-csrf-token, Last-Event-ID), but not the Host, which
      // must name API Gateway's own domain.
      originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
      responseHeadersPolicy: headers,
      compress: true,
    };
    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'fraudmini analyst console',
      defaultRootObject: 'index.html',
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: headers,
        compress: true,
      },
      additionalBehaviors: Object.fromEntries(CONSOLE_API_PATHS.map((p) => [p, apiBehavior])),
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      enableLogging: true,
      logBucket: logs,
      logFilePrefix: 'console-cdn/',
    });
    Validations.of(this.distribution).acknowledge(
      { id: 'AwsSolutions-CFR1', reason: 'Analysts may work from any country; access is by named user and password, checked by the API.' },
      {
        id: 'AwsSolutions-CFR2',
        reason: 'A CloudFront web ACL must live in us-east-1, a stack of its own; the REST API behind it keeps its regional WAF, and sign-in is throttled per user and address.',
      },
      {
        id: 'AwsSolutions-CFR4',
        reason: 'Without a custom domain CloudFront serves its default certificate, whose TLS floor cannot be raised; a deployment with its own domain adds its ACM certificate and minimumProtocolVersion TLSv1.2_2021.',
      },
    );

    const consoleDir = join(projectRoot(), 'console');
    new s3deploy.BucketDeployment(this, 'Files', {
      sources: [s3deploy.Source.asset(consoleDir)],
      destinationBucket: this.bucket,
      destinationKeyPrefix: 'console/',
      distribution: this.distribution,
      distributionPaths: ['/*'],
      memoryLimit: 256,
    });
    new s3deploy.BucketDeployment(this, 'IndexPage', {
      sources: [s3deploy.Source.asset(consoleDir, { exclude: ['*', '!index.html'] })],
      destinationBucket: this.bucket,
      // The other deployment's files are under console/: not pruned from here.
      prune: false,
      memoryLimit: 256,
    });

    // The deployments' shared custom-resource function (a singleton at the stack's root, named by CDK).
    const copier = Stack.of(this).node.children.find((c) => c.node.id.startsWith('Custom::CDKBucketDeployment'));
    if (copier) {
      const deployTime = 'CDK\'s BucketDeployment function: it runs only during a deploy, to copy the console\'s three public files from the CDK asset bucket';
      Validations.of(copier).acknowledge(
        { id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]', reason: `${deployTime}; the managed policy only lets it write its logs.` },
        { id: 'AwsSolutions-IAM5[Action::s3:GetBucket*]', reason: `${deployTime}; CDK writes its policy, scoped to the asset bucket and the console bucket.` },
        { id: 'AwsSolutions-IAM5[Action::s3:GetObject*]', reason: `${deployTime}; CDK writes its policy, scoped to the asset bucket and the console bucket.` },
        { id: 'AwsSolutions-IAM5[Action::s3:List*]', reason: `${deployTime}; CDK writes its policy, scoped to the asset bucket and the console bucket.` },
        { id: 'AwsSolutions-IAM5[Action::s3:Abort*]', reason: `${deployTime}; CDK writes its policy, scoped to the console bucket.` },
        { id: 'AwsSolutions-IAM5[Action::s3:DeleteObject*]', reason: `${deployTime}; CDK writes its policy, scoped to the console bucket (it prunes old files).` },
        { id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*]', reason: `${deployTime}; the asset objects are named by hash at synth.` },
        { id: 'AwsSolutions-IAM5[Resource::<ConsoleBucket86B6957C.Arn>/*]', reason: `${deployTime}; it writes every object of the console bucket, which holds only those files.` },
        { id: 'AwsSolutions-IAM5[Resource::*]', reason: `${deployTime}; cloudfront:CreateInvalidation and GetInvalidation take no resource narrower than *.` },
        { id: 'AwsSolutions-L1', reason: `${deployTime}; CDK pins its runtime.` },
        { id: 'PCI.DSS.321-IAMNoInlinePolicy', reason: `${deployTime}; CDK attaches its policy inline.` },
        { id: 'PCI.DSS.321-LambdaInsideVPC', reason: `${deployTime}; it reaches only S3 and CloudFront and touches no cardholder data.` },
        { id: 'PCI.DSS.321-CloudWatchLogGroupEncrypted', reason: `${deployTime}; its logs name files copied, never transaction data.` },
      );
    }

    new CfnOutput(this, 'ConsoleUrl', { value: `https://${this.distribution.distributionDomainName}/`, description: 'The analyst console' });
    new CfnOutput(this, 'ConsoleStateTable', {
      value: props.stateTable.tableName,
      description: 'Add console users with: fraudmini users add NAME --role analyst|admin --aws-table <this>',
    });
  }
}
