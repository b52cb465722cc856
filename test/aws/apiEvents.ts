/**
 * Events the `api` function receives: API Gateway's proxy event (payload 1.0: the REST API, and
 * the HTTP API as the CDK app configures it) and a Lambda function URL's (payload 2.0).
 */
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2WithIAMAuthorizer } from 'aws-lambda';

/** A transaction body for `POST /transactions`, with its time in epoch ms. */
export function transactionBody(id: string, at: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    transaction_id: id,
    timestamp: new Date(at).toISOString(),
    account_id: `ACC-${id}`,
    amount: '25.00',
    merchant: 'M-1',
    terminal_id: 'T-1',
    ...extra,
  };
}

/** An API Gateway proxy event (payload 1.0); `userArn` is what API Gateway sets on an IAM-authorised method. */
export function gatewayEvent(method: string, path: string, options: { body?: unknown; userArn?: string } = {}): APIGatewayProxyEvent {
  return {
    httpMethod: method,
    path,
    resource: path,
    headers: { 'content-type': 'application/json' },
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body: options.body === undefined ? null : JSON.stringify(options.body),
    isBase64Encoded: false,
    requestContext: {
      identity: { sourceIp: '203.0.113.7', userArn: options.userArn ?? null },
    } as unknown as APIGatewayProxyEvent['requestContext'],
  } as APIGatewayProxyEvent;
}

/**
 * A function URL event (payload 2.0) as Lambda builds it for a URL with `AWS_IAM` auth: the
 * signer's identity in `requestContext.authorizer.iam`, the raw path and query string.
 */
export function functionUrlEvent(
  method: string,
  rawPath: string,
  options: { body?: unknown; rawQueryString?: string; userArn?: string; headers?: Record<string, string>; base64?: boolean } = {},
): APIGatewayProxyEventV2WithIAMAuthorizer {
  const text = options.body === undefined ? undefined : JSON.stringify(options.body);
  const rawQueryString = options.rawQueryString ?? '';
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString,
    headers: { 'content-type': 'application/json', host: 'abcdefghij.lambda-url.us-east-1.on.aws', ...options.headers },
    ...(rawQueryString ? { queryStringParameters: Object.fromEntries(new URLSearchParams(rawQueryString)) } : {}),
    requestContext: {
      accountId: '123456789012',
      apiId: 'abcdefghij',
      domainName: 'abcdefghij.lambda-url.us-east-1.on.aws',
      domainPrefix: 'abcdefghij',
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '198.51.100.4', userAgent: 'client/1.0' },
      requestId: 'req-1',
      routeKey: '$default',
      stage: '$default',
      time: '07/Dec/2026:03:00:00 +0000',
      timeEpoch: 1_796_612_400_000,
      authorizer: {
        iam: {
          accessKey: 'AKIAEXAMPLE',
          accountId: '123456789012',
          callerId: 'AROAEXAMPLE:client',
          cognitoIdentity: null,
          principalOrgId: null,
          userArn: options.userArn ?? 'arn:aws:sts::123456789012:assumed-role/PaymentsClient/svc',
          userId: 'AROAEXAMPLE:client',
        },
      },
    },
    ...(text === undefined
      ? { isBase64Encoded: false }
      : options.base64
        ? { body: Buffer.from(text).toString('base64'), isBase64Encoded: true }
        : { body: text, isBase64Encoded: false }),
  } as unknown as APIGatewayProxyEventV2WithIAMAuthorizer;
}
