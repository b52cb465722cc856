import { CfnOutput, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { ENV } from '../../src/adapters/aws/tables.js';
import { grantSecretRead, grantTableData } from './access.js';
import { FraudminiFunction, type FraudminiFunctionProps } from './fraudminiFunction.js';
import { scoringAccess, type ScoringResources } from './scoring.js';
import { FUNCTION_MEMORY_MB } from '../functionSizes.js';

export interface ApiProps {
  resources: ScoringResources;
  transactionsTable: dynamodb.ITable;
  tokenSecret: secretsmanager.ISecret;
  logKey: kms.IKey;
  /** Steady-state requests per second (stage and usage plan). */
  rateLimit: number;
  burstLimit: number;
  /** `score`: POST /transactions decides synchronously; `store`: it stores and the table stream scores. */
  mode: 'score' | 'store';
  /** Attach a WAF web ACL with AWS managed rules. */
  waf: boolean;
  functionDefaults: Pick<FraudminiFunctionProps, 'logKey' | 'logRetentionDays' | 'logLevel' | 'network'>;
  reservedConcurrency: number;
}

/**
 * The routes of the local API, all served by the one `api` function (Lambda proxy). `admin`
 * routes change how transactions are judged: they need an IAM identity as well as the API key.
 */
const ROUTES: readonly [method: string, path: string, access: 'client' | 'admin'][] = [
  ['POST', 'transactions', 'client'],
  ['GET', 'transactions/{id}', 'client'],
  ['POST', 'transactions/{id}/label', 'client'],
  ['GET', 'alerts', 'client'],
  ['GET', 'rules', 'client'],
  ['PUT', 'rules', 'admin'],
  ['GET', 'rules/audit', 'admin'],
  ['GET', 'stats', 'client'],
  ['GET', 'healthz', 'client'],
];

/**
 * API Gateway (REST) → `api`, the same contract as the local API. Every method needs an API
 * key of the usage plan (the key lives in API Gateway, never in the function's environment);
 * the stage and the plan throttle at `rateLimit`; access and execution logs are on.
 *
 * The API key is shared by every client system, so it cannot tell who may change the rules: the
 * admin routes (`PUT /rules`, `GET /rules/audit`) also use IAM authorisation. Callers sign them
 * with SigV4 as a principal that has {@link adminPolicy} attached; the function records that
 * identity with each change, and refuses an admin request that carries none.
 */
export class Api extends Construct {
  /** The REST API. */
  readonly restApi: apigw.RestApi;
  /** The `api` function. */
  readonly api: FraudminiFunction;
  /** The usage plan's key. */
  readonly apiKey: apigw.IApiKey;
  /** Lets the principals it is attached to call the admin routes (`execute-api:Invoke` on them only). */
  readonly adminPolicy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);
    // API Gateway gives up on an integration after 29 s.
    const timeout = Duration.seconds(29);
    this.api = new FraudminiFunction(this, 'Handler', {
      ...props.functionDefaults,
      entry: 'api',
      timeout,
      memorySize: FUNCTION_MEMORY_MB.api,
      reservedConcurrency: props.reservedConcurrency,
      environment: {},
    });
    const env = {
      ...scoringAccess(this.api.role, props.resources),
      [ENV.transactionsTable]: props.transactionsTable.tableName,
      [ENV.tokenSecretArn]: props.tokenSecret.secretArn,
      [ENV.apiMode]: props.mode,
    };
    for (const [name, value] of Object.entries(env)) this.api.fn.addEnvironment(name, value);
    grantTableData(this.api.role, props.transactionsTable, 'transactions', props.resources.dataKey);
    grantSecretRead(this.api.role, props.tokenSecret, props.resources.dataKey);

    const accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.functionDefaults.logRetentionDays as logs.RetentionDays,
      encryptionKey: props.logKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.restApi = new apigw.RestApi(this, 'RestApi', {
      description: 'fraudmini API',
      endpointTypes: [apigw.EndpointType.REGIONAL],
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
      defaultMethodOptions: { apiKeyRequired: true },
      deployOptions: {
        stageName: 'v1',
        throttlingRateLimit: props.rateLimit,
        throttlingBurstLimit: props.burstLimit,
        tracingEnabled: true,
        metricsEnabled: true,
        loggingLevel: apigw.MethodLoggingLevel.INFO,
        // Request and response bodies may carry card data: never log them.
        dataTraceEnabled: false,
        accessLogDestination: new apigw.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigw.AccessLogFormat.jsonWithStandardFields(),
      },
    });
    const validator = this.restApi.addRequestValidator('Validator', {
      validateRequestBody: true,
      validateRequestParameters: true,
    });
    const integration = new apigw.LambdaIntegration(this.api.fn, { allowTestInvoke: false });
    for (const [method, path, access] of ROUTES) {
      this.restApi.root.resourceForPath(path).addMethod(method, integration, {
        requestValidator: validator,
        ...(access === 'admin' ? { authorizationType: apigw.AuthorizationType.IAM } : {}),
      });
    }
    this.adminPolicy = new iam.ManagedPolicy(this, 'AdminPolicy', {
      description: 'fraudmini rules administrators: may call the admin routes (PUT /rules, GET /rules/audit) of the API',
      statements: [
        new iam.PolicyStatement({
          actions: ['execute-api:Invoke'],
          resources: ROUTES.filter(([, , access]) => access === 'admin').map(([method, path]) =>
            this.restApi.arnForExecuteApi(method, `/${path}`, this.restApi.deploymentStage.stageName),
          ),
        }),
      ],
    });
    new CfnOutput(this, 'AdminPolicyArn', {
      value: this.adminPolicy.managedPolicyArn,
      description: 'attach to the role or user that may change rules; it signs admin requests (SigV4) and sends x-api-key too',
    });

    const plan = this.restApi.addUsagePlan('UsagePlan', {
      description: 'fraudmini API clients',
      throttle: { rateLimit: props.rateLimit, burstLimit: props.burstLimit },
      apiStages: [{ api: this.restApi, stage: this.restApi.deploymentStage }],
    });
    this.apiKey = this.restApi.addApiKey('ApiKey', { description: 'fraudmini API client key' });
    plan.addApiKey(this.apiKey);
    new CfnOutput(this, 'ApiKeyId', {
      value: this.apiKey.keyId,
      description: 'aws apigateway get-api-key --include-value --api-key <id> gives the x-api-key value',
    });

    if (props.waf) {
      this.addWaf();
    } else {
      const noWaf =
        'WAF switched off explicitly with -c waf=false (e.g. a dev environment, to save its monthly cost); ' +
        'API keys, the usage plan and stage throttling still apply.';
      Validations.of(this.restApi.deploymentStage).acknowledge(
        { id: 'AwsSolutions-APIG3', reason: noWaf },
        { id: 'PCI.DSS.321-APIGWAssociatedWithWAF', reason: noWaf },
      );
    }
    const cloudWatchRole = this.restApi.node.tryFindChild('CloudWatchRole');
    if (cloudWatchRole) {
      Validations.of(cloudWatchRole).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason: 'API Gateway\'s account-level logging role: this AWS managed policy is the documented way to let it write execution logs.',
      });
    }

    const keyAuth =
      'Clients are back-office systems authenticated by a usage-plan API key (x-api-key) on every method, ' +
      'throttled per key, and admin routes also by IAM; there is no end-user identity for a Cognito authorizer.';
    Validations.of(this.restApi).acknowledge(
      { id: 'AwsSolutions-APIG4', reason: keyAuth },
      { id: 'AwsSolutions-COG4', reason: keyAuth },
      {
        id: 'PCI.DSS.321-APIGWCacheEnabledAndEncrypted',
        reason: 'Responses are per transaction and change as decisions and labels arrive; a cache would serve stale decisions and hold card-derived data.',
      },
      {
        id: 'PCI.DSS.321-APIGWSSLEnabled',
        reason: 'Backend client certificates apply to HTTP integrations; the only backend is a Lambda proxy integration, reached over AWS\'s signed internal path.',
      },
    );
  }

  /** AWS managed common and known-bad-input rules in front of the stage. */
  private addWaf(): void {
    const managed = (name: string, priority: number): wafv2.CfnWebACL.RuleProperty => ({
      name,
      priority,
      overrideAction: { none: {} },
      statement: { managedRuleGroupStatement: { vendorName: 'AWS', name } },
      visibilityConfig: { cloudWatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName: name },
    });
    const acl = new wafv2.CfnWebACL(this, 'WebAcl', {
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: { cloudWatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName: 'fraudmini-api' },
      rules: [managed('AWSManagedRulesCommonRuleSet', 0), managed('AWSManagedRulesKnownBadInputsRuleSet', 1)],
    });
    Validations.of(acl).acknowledge({
      id: 'PCI.DSS.321-WAFv2LoggingEnabled',
      reason: 'WAF log destinations must be named aws-waf-logs-*, a physical name this app never fixes; every request is already in the API access logs and WAF keeps sampled requests and metrics.',
    });
    new wafv2.CfnWebACLAssociation(this, 'WebAclAssociation', {
      resourceArn: this.restApi.deploymentStage.stageArn,
      webAclArn: acl.attrArn,
    });
  }
}
