import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { type AwsClients, createAwsClients } from '../adapters/aws/clients.js';
import { ENV } from '../adapters/aws/tables.js';
import { parseDuration } from '../core/duration.js';
import { loadModel, type Model } from '../core/model/model.js';
import { createPanTokenizer, maskPansInText, type PanTokenizer } from '../core/pan.js';
import type { Logger as PortLogger } from '../ports/Logger.js';

/**
 * What every handler shares, built once per Lambda container (cold start) and reused by every
 * invocation: Powertools logger, metrics and tracer, the AWS clients, and lazily the
 * tokenisation key and the model.
 */
export const logger = new Logger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'fraudmini',
  // The last line of defence: every string of every log item (messages, fields, error messages
  // and stacks) goes through the PAN masker, whatever the caller passed.
  jsonReplacerFn: (_key, value) => (typeof value === 'string' ? maskPansInText(value) : value),
});
export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'fraudmini',
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'fraudmini',
});
export const tracer = new Tracer({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'fraudmini' });

/**
 * The process's AWS clients (traced by X-Ray), built during the Lambda init phase, which runs
 * once per container at full CPU. Tests inject emulator clients with {@link useClients}.
 */
let clients: AwsClients = traced(createAwsClients());

export function awsClients(): AwsClients {
  return clients;
}

/** Replaces the process's clients (tests: emulators) and forgets everything built on the old ones. */
export function useClients(next: AwsClients): void {
  clients = next;
  tokenizer = undefined;
  modelCache = undefined;
  for (const reset of resets) reset();
}

const resets: (() => void)[] = [];

/** A value built once per process from the clients, rebuilt after {@link useClients}. */
export function perProcess<T>(build: () => T): () => T {
  let value: T | undefined;
  resets.push(() => {
    value = undefined;
  });
  return () => {
    value ??= build();
    return value;
  };
}

function traced(c: AwsClients): AwsClients {
  for (const client of [c.s3, c.sqs, c.sns, c.kinesis, c.secrets, c.dynamoBase]) tracer.captureAWSv3Client(client);
  return c;
}

/** A required environment variable; a clear error naming it when the deployment lacks it. */
export function env(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`environment variable ${name} is not set`);
  return value;
}

/** The label delay in force (`FRAUDMINI_LABEL_DELAY`, default 7 days), or undefined when `off`. */
export function labelDelayMs(): number | undefined {
  const raw = process.env[ENV.labelDelay] ?? '7d';
  return raw === 'off' ? undefined : parseDuration(raw, ENV.labelDelay);
}

let tokenizer: Promise<PanTokenizer> | undefined;

/**
 * The card tokeniser, keyed from Secrets Manager (`FRAUDMINI_TOKEN_SECRET_ARN`, read once per
 * container) or, for emulators, `FRAUDMINI_TOKEN_KEY`. The key never appears in logs or env dumps
 * on AWS: only the secret's ARN is configured.
 */
export function panTokenizer(): Promise<PanTokenizer> {
  tokenizer ??= (async () => {
    const direct = process.env[ENV.tokenKey];
    let key: string | undefined = direct;
    if (key === undefined) {
      const out = await awsClients().secrets.send(new GetSecretValueCommand({ SecretId: env(ENV.tokenSecretArn) }));
      key = out.SecretString;
    }
    if (key === undefined || Buffer.byteLength(key) < 16) throw new Error('the tokenisation key must be at least 16 bytes');
    return createPanTokenizer(Buffer.from(key, 'utf8'));
  })();
  tokenizer.catch(() => {
    tokenizer = undefined;
  });
  return tokenizer;
}

/** How long a loaded model is used before the object is checked again. */
const MODEL_TTL_MS = 5 * 60_000;
let modelCache: { at: number; etag: string | undefined; model: Model | undefined } | undefined;

/**
 * The model from `MODEL_URI` (`s3://bucket/key`), cached per container and re-read only when the
 * object changed (ETag) after the TTL; undefined when no model is configured (rules only).
 */
export async function currentModel(now = Date.now()): Promise<Model | undefined> {
  const uri = process.env[ENV.modelUri];
  if (!uri) return undefined;
  if (modelCache && now - modelCache.at < MODEL_TTL_MS) return modelCache.model;
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!m) throw new Error(`${ENV.modelUri} must look like s3://bucket/key, not ${uri}`);
  const [, bucket, key] = m as unknown as [string, string, string];
  const s3 = awsClients().s3;
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  if (modelCache && head.ETag === modelCache.etag) {
    modelCache.at = now;
    return modelCache.model;
  }
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const text = (await out.Body?.transformToString('utf8')) ?? '';
  const model = loadModel(JSON.parse(text));
  modelCache = { at: now, etag: head.ETag, model };
  logger.info('model loaded', { model_version: model.version, uri });
  return model;
}

/** The pipeline's logger interface over the Powertools logger. */
export const portLogger: PortLogger = {
  info: (message, fields) => logger.info(message, fields ?? {}),
  warn: (message, fields) => logger.warn(message, fields ?? {}),
  error: (message, fields) => logger.error(message, fields ?? {}),
};

/** Flushes the invocation's metrics as EMF (nothing, not a warning, when there are none). */
export function flushMetrics(): void {
  if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
}
