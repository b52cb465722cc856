import type { APIGatewayProxyEvent, APIGatewayProxyEventV2WithIAMAuthorizer, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { FastifyInstance } from 'fastify';
import { ENV } from '../adapters/aws/tables.js';
import { AdminForbiddenError, NotFoundError } from '../app/errors.js';
import { errorBody } from '../server/errorHandler.js';
import { routeAccess } from './apiRoutes.js';
import { buildApi } from '../server/buildServer.js';
import { shadowRoutes } from '../server/shadowRoutes.js';
import { remoteService } from '../app/remoteApiService.js';
import { consoleOnAws } from './consoleOnAws.js';
import { currentModel, flushMetrics, labelDelayMs, logger, panTokenizer, portLogger, tracer } from './runtime.js';
import { alertQueue, decisionStore, eventClock, featureHistory, labelStore, rules, rulesHistory, rulesStore, shadowStore, transactionLog } from './stores.js';

/**
 * `api`: API Gateway (REST, or an HTTP API; proxy integration, payload format 1.0) or a Lambda
 * function URL (payload format 2.0) → the same routes as `fraudmini start` (`buildApi`), backed by
 * DynamoDB. The front authenticates and throttles; this function only translates the event to a
 * request and the reply to a response. In `store` mode (`FRAUDMINI_API_MODE=store`),
 * `POST /transactions` stores the transaction and answers 202; the table stream scores it.
 *
 * The admin routes (`PUT /rules`, `GET /rules/audit`) use IAM authorisation in API Gateway: the
 * caller is the IAM identity API Gateway checked (`requestContext.identity.userArn`, set only on
 * IAM-authorised methods; with an HTTP API, `requestContext.authorizer.iam.userArn`), so a request
 * that did not come through such a method, or a client that holds only the API key, is refused
 * here too.
 *
 * A function URL cannot tell routes apart (its IAM authorisation is the whole URL or nothing), so
 * a payload 2.0 event — which only the function URL sends: the CDK app configures API Gateway with
 * payload 1.0 — is served only on the client routes of `API_ROUTES`: an admin route answers 403
 * and any other path 404, before the app sees it, and the URL's signer is never an admin caller.
 */
let app: Promise<FastifyInstance> | undefined;

/**
 * Carries the IAM caller from the event to the routes. The handler builds every request's headers
 * itself and drops any copy of this one a client sent, so only API Gateway's identity gets here.
 */
const CALLER_HEADER = 'x-fraudmini-iam-caller';

async function build(): Promise<FastifyInstance> {
  const storeOnly = process.env[ENV.apiMode] === 'store';
  const service = remoteService({
    decisions: decisionStore(),
    history: featureHistory(),
    labels: labelStore(),
    rulesStore: rulesStore(),
    rulesHistory: rulesHistory(),
    rules: () => rules().get(),
    rulesChanged: () => rules().invalidate(),
    model: () => currentModel(),
    labelDelayMs: labelDelayMs(),
    alerts: alertQueue(),
    clock: eventClock(),
    ...(storeOnly ? { storeOnly: transactionLog() } : {}),
  });
  const instance = buildApi(service, {
    tokenizer: await panTokenizer(),
    logger: portLogger,
    console: consoleOnAws(),
    admin: {
      caller: (req) => {
        const caller = req.headers[CALLER_HEADER];
        return typeof caller === 'string' && caller !== '' ? caller : undefined;
      },
    },
  });
  instance.register(shadowRoutes({ store: shadowStore() }));
  await instance.ready();
  return instance;
}

/** The caller an HTTP API's IAM authorisation put in the event, if any (API Gateway sets it, never the client). */
function iamAuthorizerCaller(event: APIGatewayProxyEvent): string | undefined {
  const authorizer = event.requestContext?.authorizer as { iam?: { userArn?: unknown } } | null | undefined;
  const arn = authorizer?.iam?.userArn;
  return typeof arn === 'string' && arn !== '' ? arn : undefined;
}

/** Forgets the built app (tests switch clients and environment between cases). */
export function resetApi(): void {
  app = undefined;
}

/** A function URL's event (payload format 2.0, IAM auth). */
type FunctionUrlEvent = APIGatewayProxyEventV2WithIAMAuthorizer;

/** Either front's event, as the request the app is given. */
interface InboundRequest {
  method: string;
  path: string;
  /** Query string without the `?`, possibly empty. */
  query: string;
  headers: Record<string, string>;
  body: string | Buffer | undefined;
  sourceIp: string | undefined;
  /** The IAM identity API Gateway authorised, when the route is IAM-authorised. */
  caller: string | undefined;
}

function isFunctionUrlEvent(event: APIGatewayProxyEvent | FunctionUrlEvent): event is FunctionUrlEvent {
  return (event as { version?: unknown }).version === '2.0';
}

/** Headers as the app gets them: names in lower case, never the caller header a client may have forged. */
function inboundHeaders(raw: Record<string, string | undefined> | null | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  // Console test events and some integrations send null for "no headers".
  for (const [k, v] of Object.entries(raw ?? {})) {
    const name = k.toLowerCase();
    if (v !== undefined && name !== CALLER_HEADER) headers[name] = v;
  }
  return headers;
}

function bodyOf(body: string | null | undefined, base64: boolean | undefined): string | Buffer | undefined {
  return body == null ? undefined : base64 ? Buffer.from(body, 'base64') : body;
}

/** An API Gateway proxy event (payload 1.0) as a request. */
function fromGateway(event: APIGatewayProxyEvent): InboundRequest {
  const query = new URLSearchParams();
  for (const [k, values] of Object.entries(event.multiValueQueryStringParameters ?? {})) {
    for (const v of values ?? []) query.append(k, v);
  }
  const identity = event.requestContext?.identity;
  return {
    method: event.httpMethod,
    path: event.path,
    query: query.toString(),
    headers: inboundHeaders(event.headers),
    body: bodyOf(event.body, event.isBase64Encoded),
    sourceIp: identity?.sourceIp ?? undefined,
    caller: identity?.userArn ?? iamAuthorizerCaller(event),
  };
}

/** A function URL event (payload 2.0) as a request: no caller, whoever signed it. */
function fromFunctionUrl(event: FunctionUrlEvent): InboundRequest {
  const headers = inboundHeaders(event.headers);
  if (event.cookies && event.cookies.length > 0) headers.cookie = event.cookies.join('; ');
  return {
    method: event.requestContext.http.method,
    path: event.rawPath,
    query: event.rawQueryString ?? '',
    headers,
    body: bodyOf(event.body, event.isBase64Encoded),
    sourceIp: event.requestContext.http.sourceIp,
    caller: undefined,
  };
}

/** The answer to a function URL request outside the client routes, or undefined to serve it. */
function refusedOnUrl(req: InboundRequest): APIGatewayProxyResult | undefined {
  const access = routeAccess(req.method, req.path);
  if (access === 'client') return undefined;
  const error =
    access === 'admin'
      ? new AdminForbiddenError(
          `${req.method} ${req.path} is an admin route, not served on the function URL: call it through the admin API (output AdminApiUrl), signed as an administrator`,
        )
      : new NotFoundError(`no route ${req.method} ${req.path} on the function URL`);
  return {
    statusCode: error.status,
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify(errorBody(error)),
  };
}

export const handler = async (event: APIGatewayProxyEvent | FunctionUrlEvent, context: Context): Promise<APIGatewayProxyResult> => {
  logger.addContext(context);
  tracer.annotateColdStart();
  const req = isFunctionUrlEvent(event) ? fromFunctionUrl(event) : fromGateway(event);
  if (isFunctionUrlEvent(event)) {
    const refused = refusedOnUrl(req);
    if (refused) return refused;
  }
  app ??= build();
  app.catch(() => {
    app = undefined;
  });
  const instance = await app;
  const headers = req.headers;
  if (req.caller) headers[CALLER_HEADER] = `iam ${req.caller}`;
  const res = await instance.inject({
    method: req.method as 'GET',
    url: `${req.path}${req.query ? `?${req.query}` : ''}`,
    headers,
    ...(req.sourceIp ? { remoteAddress: req.sourceIp } : {}),
    ...(req.body === undefined ? {} : { payload: req.body }),
  });
  flushMetrics();
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : String(v);
  return { statusCode: res.statusCode, headers: out, body: res.body };
};
