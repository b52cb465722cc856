import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { FastifyInstance } from 'fastify';
import { ENV } from '../adapters/aws/tables.js';
import { buildApi } from '../server/buildServer.js';
import { remoteService } from '../app/remoteApiService.js';
import { consoleOnAws } from './consoleOnAws.js';
import { currentModel, flushMetrics, labelDelayMs, logger, panTokenizer, portLogger, tracer } from './runtime.js';
import { alertQueue, decisionStore, eventClock, featureHistory, labelStore, rules, rulesHistory, rulesStore, transactionLog } from './stores.js';

/**
 * `api`: API Gateway (REST, proxy integration) → the same routes as `fraudmini start`
 * (`buildApi`), backed by DynamoDB. API Gateway checks the API key and throttles; this function
 * only translates the event to a request and the reply to a response. In `store` mode
 * (`FRAUDMINI_API_MODE=store`), `POST /transactions` stores the transaction and answers 202; the
 * table stream scores it.
 *
 * The admin routes (`PUT /rules`, `GET /rules/audit`) use IAM authorisation in API Gateway on top
 * of the API key: the caller is the IAM identity API Gateway checked (`requestContext.identity.userArn`,
 * set only on IAM-authorised methods; with the HTTP API front, whose every route is IAM-authorised,
 * `requestContext.authorizer.iam.userArn`), so a request that did not come through such a method,
 * or a client that holds only the API key, is refused here too.
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

export const handler = async (event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> => {
  logger.addContext(context);
  tracer.annotateColdStart();
  app ??= build();
  app.catch(() => {
    app = undefined;
  });
  const instance = await app;
  const query = new URLSearchParams();
  for (const [k, values] of Object.entries(event.multiValueQueryStringParameters ?? {})) {
    for (const v of values ?? []) query.append(k, v);
  }
  const qs = query.toString();
  const headers: Record<string, string> = {};
  // Console test events and some integrations send null for "no headers".
  for (const [k, v] of Object.entries(event.headers ?? {})) {
    const name = k.toLowerCase();
    if (v !== undefined && name !== CALLER_HEADER) headers[name] = v;
  }
  const payload = event.body == null ? undefined : event.isBase64Encoded ? Buffer.from(event.body, 'base64') : event.body;
  const identity = event.requestContext?.identity;
  const caller = identity?.userArn ?? iamAuthorizerCaller(event);
  if (caller) headers[CALLER_HEADER] = `iam ${caller}`;
  const res = await instance.inject({
    method: event.httpMethod as 'GET',
    url: `${event.path}${qs ? `?${qs}` : ''}`,
    headers,
    ...(identity?.sourceIp ? { remoteAddress: identity.sourceIp } : {}),
    ...(payload === undefined ? {} : { payload }),
  });
  flushMetrics();
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : String(v);
  return { statusCode: res.statusCode, headers: out, body: res.body };
};
