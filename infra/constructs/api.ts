import { CfnOutput, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { ENV } from '../../src/adapters/aws/tables.js';
import { API_ROUTES as ROUTES, type RouteAccess } from '../../src/handlers/apiRoutes.js';
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
  /** Attach a WAF web ACL with AWS managed rules (REST only: WAF cannot front an HTTP API). */
  waf: boolean;
  /**
   * `rest`: API Gateway REST API, usage-plan API key on every method, IAM on the admin routes,
   * WAF. `http`: API Gateway HTTP API with IAM authorisation on every route (a client policy and
   * an admin policy), no WAF. `url`: the client routes on a Lambda function URL with `AWS_IAM`
   * auth, the admin routes on an IAM-authorised HTTP API.
   */
  front: 'rest' | 'http' | 'url';
  functionDefaults: Pick<FraudminiFunctionProps, 'logKey' | 'logRetentionDays' | 'logLevel' | 'network'>;
  reservedConcurrency: number;
}


/**
 * API Gateway → `api`, the same contract as the local API, with one of two fronts.
 *
 * **REST** (the default): every method needs an API key of the usage plan (the key lives in API
 * Gateway, never in the function's environment); the stage and the plan throttle at
 * `rateLimit`; access and execution logs are on; WAF in front. The API key is shared by every
 * client system, so it cannot tell who may change the rules: the admin routes (`PUT /rules`,
 * `GET /rules/audit`) also use IAM authorisation. Callers sign them with SigV4 as a principal
 * that has {@link adminPolicy} attached; the function records that identity with each change,
 * and refuses an admin request that carries none.
 *
 * **HTTP API** (`-c api=http`): about a third of REST's price per request. It has no API keys,
 * usage plans or WAF, so every route uses IAM authorisation instead: client systems sign with
 * SigV4 as a principal with {@link clientPolicy} (the client routes), administrators with
 * {@link adminPolicy} (the admin routes); the stage throttles at `rateLimit`, access logs are on.
 * IAM rather than a JWT authorizer because the clients are back-office systems with AWS
 * identities, not end users of an identity provider; rather than an API key checked in the
 * function because that would invoke (and bill) the function for every unauthenticated request
 * and would not tell administrators apart. The Lambda integration uses payload format 1.0, the
 * event the function already reads; it takes the IAM caller from `requestContext.identity.userArn`
 * or `requestContext.authorizer.iam.userArn`, both set by API Gateway only.
 *
 * **Function URL** (`-c api=url`): no per-request fee at all. The client routes are served on a
 * Lambda function URL with `AWS_IAM` auth: client systems sign with SigV4 (service `lambda`) as a
 * principal with {@link clientPolicy} (`lambda:InvokeFunctionUrl` on this function, for IAM-auth
 * URLs only). A URL's IAM authorisation covers the whole URL, so it cannot keep routes to some
 * callers: the function serves only the client routes on it (payload 2.0 events) and refuses the
 * admin routes with 403 and any other path with 404. The admin routes are on an HTTP API of their
 * own, IAM-authorised, for principals with {@link adminPolicy} (output `AdminApiUrl`). No CORS
 * (back-office callers, not browsers). A function URL has no throttle of its own: the function's
 * reserved concurrency is the only limit on it (`-c concurrency.api=N`), and there is no WAF.
 */
export class Api extends Construct {
  /** The REST API (`rest` front). */
  readonly restApi?: apigw.RestApi;
  /** The HTTP API (`http` front; the admin routes' API with the `url` front). */
  readonly httpApi?: apigwv2.HttpApi;
  /** The function URL (`url` front). */
  readonly functionUrl?: lambda.FunctionUrl;
  /** The base URL the client routes are called on: the API's stage, or the function URL. */
  readonly url: string;
  /** `url` front: the base URL of the admin routes' HTTP API. */
  readonly adminUrl?: string;
  /** Request, error and latency metrics of whichever front is deployed. */
  readonly metrics: ApiMetrics;
  /** The `api` function. */
  readonly api: FraudminiFunction;
  /** The usage plan's key (`rest` front). */
  readonly apiKey?: apigw.IApiKey;
  /** Lets the principals it is attached to call the admin routes (`execute-api:Invoke` on them only). */
  readonly adminPolicy: iam.ManagedPolicy;
  /** `http` and `url` fronts: lets the principals it is attached to call the client routes. */
  readonly clientPolicy?: iam.ManagedPolicy;

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
    if (props.front === 'url') {
      const front = this.addFunctionUrl(props, accessLogs, timeout);
      this.functionUrl = front.functionUrl;
      this.httpApi = front.adminApi;
      this.url = front.functionUrl.url;
      this.adminUrl = front.adminUrl;
      this.metrics = front.metrics;
      this.adminPolicy = front.adminPolicy;
      this.clientPolicy = front.clientPolicy;
      return;
    }
    if (props.front === 'http') {
      const http = this.addHttpApi(props, accessLogs, timeout, 'client');
      this.httpApi = http.api;
      this.url = http.url;
      this.metrics = http.api;
      this.adminPolicy = http.adminPolicy;
      if (http.clientPolicy) this.clientPolicy = http.clientPolicy;
      return;
    }
    const rest = this.addRestApi(props, accessLogs);
    this.restApi = rest.api;
    this.url = rest.api.url;
    this.metrics = rest.api;
    this.adminPolicy = rest.adminPolicy;
    this.apiKey = rest.apiKey;
  }

  /** The REST front: API key, usage plan, IAM on the admin routes, WAF unless switched off. */
  private addRestApi(props: ApiProps, accessLogs: logs.LogGroup): { api: apigw.RestApi; adminPolicy: iam.ManagedPolicy; apiKey: apigw.IApiKey } {
    const restApi = new apigw.RestApi(this, 'RestApi', {
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
    const validator = restApi.addRequestValidator('Validator', {
      validateRequestBody: true,
      validateRequestParameters: true,
    });
    const integration = new apigw.LambdaIntegration(this.api.fn, { allowTestInvoke: false });
    for (const [method, path, access] of ROUTES) {
      restApi.root.resourceForPath(path).addMethod(method, integration, {
        requestValidator: validator,
        ...(access === 'admin' ? { authorizationType: apigw.AuthorizationType.IAM } : {}),
      });
    }
    const adminPolicy = new iam.ManagedPolicy(this, 'AdminPolicy', {
      description: 'fraudmini rules administrators: may call the admin routes (PUT /rules, GET /rules/audit) of the API',
      statements: [
        new iam.PolicyStatement({
          actions: ['execute-api:Invoke'],
          resources: ROUTES.filter(([, , access]) => access === 'admin').map(([method, path]) =>
            restApi.arnForExecuteApi(method, `/${path}`, restApi.deploymentStage.stageName),
          ),
        }),
      ],
    });
    new CfnOutput(this, 'AdminPolicyArn', {
      value: adminPolicy.managedPolicyArn,
      description: 'attach to the role or user that may change rules; it signs admin requests (SigV4) and sends x-api-key too',
    });

    const plan = restApi.addUsagePlan('UsagePlan', {
      description: 'fraudmini API clients',
      throttle: { rateLimit: props.rateLimit, burstLimit: props.burstLimit },
      apiStages: [{ api: restApi, stage: restApi.deploymentStage }],
    });
    const apiKey = restApi.addApiKey('ApiKey', { description: 'fraudmini API client key' });
    plan.addApiKey(apiKey);
    new CfnOutput(this, 'ApiKeyId', {
      value: apiKey.keyId,
      description: 'aws apigateway get-api-key --include-value --api-key <id> gives the x-api-key value',
    });

    if (props.waf) {
      this.addWaf(restApi);
    } else {
      const noWaf =
        'WAF switched off explicitly with -c waf=false (e.g. a dev environment, to save its monthly cost); ' +
        'API keys, the usage plan and stage throttling still apply.';
      Validations.of(restApi.deploymentStage).acknowledge(
        { id: 'AwsSolutions-APIG3', reason: noWaf },
        { id: 'PCI.DSS.321-APIGWAssociatedWithWAF', reason: noWaf },
      );
    }
    const cloudWatchRole = restApi.node.tryFindChild('CloudWatchRole');
    if (cloudWatchRole) {
      Validations.of(cloudWatchRole).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason: 'API Gateway\'s account-level logging role: this AWS managed policy is the documented way to let it write execution logs.',
      });
    }

    const keyAuth =
      'Clients are back-office systems authenticated by a usage-plan API key (x-api-key) on every method, ' +
      'throttled per key, and admin routes also by IAM; there is no end-user identity for a Cognito authorizer.';
    Validations.of(restApi).acknowledge(
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
    return { api: restApi, adminPolicy, apiKey };
  }

  /**
   * The HTTP front: IAM on every route, stage throttling, access logs, and a policy per access
   * level it serves. `client`: every route (the `http` front); `admin`: the admin routes only (the
   * `url` front's admin API).
   */
  private addHttpApi(
    props: ApiProps,
    accessLogs: logs.LogGroup,
    timeout: Duration,
    serves: 'client' | 'admin',
  ): { api: apigwv2.HttpApi; url: string; adminPolicy: iam.ManagedPolicy; clientPolicy?: iam.ManagedPolicy } {
    const routes = ROUTES.filter(([, , access]) => serves === 'client' || access === 'admin');
    const httpApi = new apigwv2.HttpApi(this, 'HttpApi', {
      description: serves === 'client' ? 'fraudmini API' : 'fraudmini admin API (the client routes are on the function URL)',
      createDefaultStage: false,
      defaultAuthorizer: new HttpIamAuthorizer(),
    });
    // The default stage: a named one would put its name in the event's path (payload 1.0 too),
    // which the function's routes do not expect.
    const stage = new apigwv2.HttpStage(this, 'HttpStage', {
      httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: props.rateLimit, burstLimit: props.burstLimit },
      detailedMetricsEnabled: true,
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(accessLogs),
        format: apigw.AccessLogFormat.jsonWithStandardFields(),
      },
    });
    const integration = new HttpLambdaIntegration('Integration', this.api.fn, {
      payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_1_0,
      timeout,
    });
    for (const [method, path] of routes) {
      httpApi.addRoutes({ path: `/${path}`, methods: [method as apigwv2.HttpMethod], integration });
    }
    const policy = (id: string, access: RouteAccess, description: string): iam.ManagedPolicy =>
      new iam.ManagedPolicy(this, id, {
        description,
        statements: [
          new iam.PolicyStatement({
            actions: ['execute-api:Invoke'],
            resources: ROUTES.filter(([, , a]) => a === access).map(([method, path]) =>
              httpApi.arnForExecuteApi(method, `/${path}`, stage.stageName),
            ),
          }),
        ],
      });
    const adminPolicy = policy('AdminPolicy', 'admin', 'fraudmini rules administrators: may call the admin routes (PUT /rules, GET /rules/audit) of the API');
    new CfnOutput(this, 'AdminPolicyArn', {
      value: adminPolicy.managedPolicyArn,
      description: 'attach to the role or user that may change rules; it signs admin requests (SigV4)',
    });
    let clientPolicy: iam.ManagedPolicy | undefined;
    if (serves === 'client') {
      clientPolicy = policy('ClientPolicy', 'client', 'fraudmini API clients: may call the client routes (transactions, labels, alerts, rules, stats)');
      new CfnOutput(this, 'ClientPolicyArn', {
        value: clientPolicy.managedPolicyArn,
        description: 'attach to the roles of client systems; they sign every request (SigV4)',
      });
    }
    const iamAuth =
      'Every route of the HTTP API uses IAM authorisation (SigV4): clients are back-office systems with AWS identities, ' +
      'allowed route by route by the client and admin managed policies; there is no end-user identity for a Cognito authorizer.';
    Validations.of(httpApi).acknowledge(
      { id: 'AwsSolutions-APIG4', reason: iamAuth },
      { id: 'AwsSolutions-COG4', reason: iamAuth },
    );
    return { api: httpApi, url: stage.url, adminPolicy, ...(clientPolicy ? { clientPolicy } : {}) };
  }

  /**
   * The function URL front: the client routes on a function URL with `AWS_IAM` auth (a client
   * policy allowing `lambda:InvokeFunctionUrl` on it), the admin routes on an IAM-authorised HTTP
   * API of their own.
   */
  private addFunctionUrl(
    props: ApiProps,
    accessLogs: logs.LogGroup,
    timeout: Duration,
  ): {
    functionUrl: lambda.FunctionUrl;
    adminApi: apigwv2.HttpApi;
    adminUrl: string;
    adminPolicy: iam.ManagedPolicy;
    clientPolicy: iam.ManagedPolicy;
    metrics: ApiMetrics;
  } {
    // No CORS: the callers are back-office systems signing with SigV4, not browsers.
    const functionUrl = this.api.fn.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.AWS_IAM });
    const admin = this.addHttpApi(props, accessLogs, timeout, 'admin');
    const clientPolicy = new iam.ManagedPolicy(this, 'ClientPolicy', {
      description: 'fraudmini API clients: may call the function URL, which serves the client routes (transactions, labels, alerts, rules, stats)',
      statements: [
        new iam.PolicyStatement({
          actions: ['lambda:InvokeFunctionUrl'],
          resources: [this.api.fn.functionArn],
          conditions: { StringEquals: { 'lambda:FunctionUrlAuthType': 'AWS_IAM' } },
        }),
      ],
    });
    new CfnOutput(this, 'ClientPolicyArn', {
      value: clientPolicy.managedPolicyArn,
      description: 'attach to the roles of client systems; they sign every request to ApiUrl (SigV4, service lambda)',
    });
    new CfnOutput(this, 'AdminApiUrl', {
      value: admin.url,
      description: 'the admin routes (PUT /rules, GET /rules/audit), signed (SigV4) by a principal with AdminPolicyArn',
    });
    const functionName = this.api.fn.functionName;
    const metric = (metricName: string, statistic: string) => (options?: cloudwatch.MetricOptions) =>
      new cloudwatch.Metric({ namespace: 'AWS/Lambda', metricName, dimensionsMap: { FunctionName: functionName }, statistic, ...options });
    const metrics: ApiMetrics = {
      metricCount: metric('UrlRequestCount', 'Sum'),
      metricClientError: metric('Url4xxCount', 'Sum'),
      metricServerError: metric('Url5xxCount', 'Sum'),
      metricLatency: metric('UrlRequestLatency', 'Average'),
    };
    return { functionUrl, adminApi: admin.api, adminUrl: admin.url, adminPolicy: admin.adminPolicy, clientPolicy, metrics };
  }

  /** AWS managed common and known-bad-input rules in front of the stage. */
  private addWaf(restApi: apigw.RestApi): void {
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
      resourceArn: restApi.deploymentStage.stageArn,
      webAclArn: acl.attrArn,
    });
  }
}

/** The metrics the monitoring reads from the API, whichever front it has. */
export interface ApiMetrics {
  metricCount(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  metricClientError(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  metricServerError(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  metricLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
}
