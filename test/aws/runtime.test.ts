import { CreateBucketCommand, DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { modelFile, type ModelFile } from '../../src/core/model/model.js';
import { FEATURE_COUNT } from '../../src/core/model/vector.js';
import { createPanTokenizer } from '../../src/core/pan.js';
import { currentModel, panTokenizer, useClients } from '../../src/handlers/runtime.js';
import { emulatorClients, uniqueName } from './clients.js';
import { applyEnv } from './harness.js';

const PAN = ['4242', '4242', '4242', '4242'].join('');

function stumpModel(leaf: number): ModelFile {
  const tree = { feature: [0, -1, -1], threshold: [0.5, 0, 0], left: [1, -1, -1], right: [2, -1, -1], value: [0, -leaf, leaf] };
  return modelFile(
    { base: -2, trees: [tree] },
    {
      rows: 10,
      positives: 1,
      negatives_kept: 9,
      negative_weight: 1,
      from: null,
      to: null,
      label_delay_ms: 0,
      trees_trained: 1,
      best_iteration: 1,
      validation_logloss: null,
      seconds: 0,
    },
    new Float64Array(FEATURE_COUNT),
    new Date(0),
  );
}

describe('handler runtime: the model from S3', () => {
  const c = emulatorClients();
  const bucket = uniqueName('models');
  let restore: (() => void) | undefined;

  beforeAll(async () => {
    await c.s3.send(new CreateBucketCommand({ Bucket: bucket }));
    useClients(c);
  });
  afterEach(() => restore?.());

  it('scores rules-only when no model is configured', async () => {
    restore = applyEnv({ MODEL_URI: '' });
    expect(await currentModel()).toBeUndefined();
  });

  it('loads the model once, serves it from the cache, and reloads only a changed object after the TTL', async () => {
    restore = applyEnv({ MODEL_URI: `s3://${bucket}/models/model.json` });
    const first = stumpModel(0.5);
    await c.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'models/model.json', Body: JSON.stringify(first) }));
    const t0 = 1_000_000_000;
    const loaded = await currentModel(t0);
    expect(loaded?.version).toBe(first.version);

    // Within the TTL the object is not read again: even its removal goes unnoticed.
    await c.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'models/model.json' }));
    expect(await currentModel(t0 + 60_000)).toBe(loaded);

    // After the TTL a new object is loaded.
    const second = stumpModel(0.9);
    expect(second.version).not.toBe(first.version);
    await c.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'models/model.json', Body: JSON.stringify(second) }));
    expect((await currentModel(t0 + 6 * 60_000))?.version).toBe(second.version);
  });

  it('names a malformed MODEL_URI', async () => {
    restore = applyEnv({ MODEL_URI: 'https://example.com/model.json' });
    await expect(currentModel(2_000_000_000)).rejects.toThrow(/MODEL_URI must look like s3:\/\/bucket\/key/);
  });
});

describe('handler runtime: the tokenisation key from Secrets Manager', () => {
  const c = emulatorClients();
  let restore: (() => void) | undefined;
  afterEach(() => restore?.());

  /** Secrets Manager has no emulator here: a stub client answers GetSecretValue. */
  const withSecret = (value: string, asked: string[]): void => {
    const secrets = {
      send: async (command: { input: { SecretId?: string } }) => {
        asked.push(command.input.SecretId ?? '');
        return { SecretString: value };
      },
    } as unknown as SecretsManagerClient;
    useClients({ ...c, secrets });
  };

  it('reads the secret once and tokenises with it, as a local key would', async () => {
    restore = applyEnv({ FRAUDMINI_TOKEN_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:0:secret:token', FRAUDMINI_TOKEN_KEY: '' });
    delete process.env.FRAUDMINI_TOKEN_KEY;
    const asked: string[] = [];
    const key = 'a-secret-tokenisation-key-of-64-characters-0123456789abcdefghijk';
    withSecret(key, asked);
    const tokenize = await panTokenizer();
    await panTokenizer();
    expect(asked).toEqual(['arn:aws:secretsmanager:us-east-1:0:secret:token']);
    expect(tokenize(PAN)).toEqual(createPanTokenizer(Buffer.from(key, 'utf8'))(PAN));
    expect(tokenize(PAN).masked).not.toContain(PAN);
  });

  it('refuses a key shorter than 16 bytes, and tries again on the next call', async () => {
    restore = applyEnv({ FRAUDMINI_TOKEN_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:0:secret:short', FRAUDMINI_TOKEN_KEY: '' });
    delete process.env.FRAUDMINI_TOKEN_KEY;
    const asked: string[] = [];
    withSecret('too-short', asked);
    await expect(panTokenizer()).rejects.toThrow(/at least 16 bytes/);
    await expect(panTokenizer()).rejects.toThrow(/at least 16 bytes/);
    expect(asked).toHaveLength(2);
  });
});
