import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { ENV } from '../adapters/aws/tables.js';
import type { RemoteScoreDeps } from '../app/scoreRemote.js';
import { withRemoteShadow } from '../app/shadowRemote.js';
import type { Challenger } from '../app/shadowScoring.js';
import { loadModel } from '../core/model/model.js';
import { compileRuleSet } from '../core/rules.js';
import { awsClients, logger, perProcess, portLogger } from './runtime.js';
import { shadowStore } from './stores.js';

/**
 * The shadow challenger of the batch scorers (score, stream, table stream), configured by the CDK
 * app (`-c shadowModel=true`, `-c shadowRules=true`): a model at `FRAUDMINI_SHADOW_MODEL_URI` and/or
 * a rules document at `FRAUDMINI_SHADOW_RULES_URI`, both `s3://bucket/key`. Each object is read once
 * per container and again only when it changed (ETag) after a TTL, as the model in force is; a
 * new object is a new challenger (its versions name it), compared apart from the one before.
 */

/** How long a loaded challenger object is used before it is checked again. */
const SHADOW_TTL_MS = 5 * 60_000;

interface Cached<T> {
  at: number;
  etag: string | undefined;
  value: T;
}

/** Loaded objects by URI; forgotten when tests switch clients. */
const cache = perProcess(() => new Map<string, Cached<unknown>>());

async function readObject<T>(name: string, uri: string, parse: (json: unknown) => T, now: number): Promise<T> {
  const hit = cache().get(uri) as Cached<T> | undefined;
  if (hit && now - hit.at < SHADOW_TTL_MS) return hit.value;
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!m) throw new Error(`${name} must look like s3://bucket/key, not ${uri}`);
  const [, bucket, key] = m as unknown as [string, string, string];
  const s3 = awsClients().s3;
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  if (hit && head.ETag === hit.etag) {
    hit.at = now;
    return hit.value;
  }
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const value = parse(JSON.parse((await out.Body?.transformToString('utf8')) ?? ''));
  cache().set(uri, { at: now, etag: head.ETag, value });
  return value;
}

/** The challenger configured for this function, or undefined when none is (the default). */
export async function shadowChallenger(now = Date.now()): Promise<Challenger | undefined> {
  const modelUri = process.env[ENV.shadowModelUri];
  const rulesUri = process.env[ENV.shadowRulesUri];
  if (!modelUri && !rulesUri) return undefined;
  const [model, rules] = await Promise.all([
    modelUri ? readObject(ENV.shadowModelUri, modelUri, loadModel, now) : undefined,
    rulesUri ? readObject(ENV.shadowRulesUri, rulesUri, (doc) => compileRuleSet(doc), now) : undefined,
  ]);
  return { ...(rules ? { rules } : {}), ...(model ? { model } : {}) };
}

/**
 * `deps` of one batch scoring with the configured challenger beside it (unchanged without one).
 * A challenger object that cannot be read or is invalid is logged and skipped: the decisions in
 * force never wait on it.
 */
export async function withShadow<D extends RemoteScoreDeps>(deps: D): Promise<D> {
  let challenger: Challenger | undefined;
  try {
    challenger = await shadowChallenger();
  } catch (e) {
    logger.error('shadow challenger not loaded; scoring without it', { error: (e as Error).message });
    return deps;
  }
  return withRemoteShadow(deps, challenger && { challenger, store: shadowStore(), logger: portLogger });
}
