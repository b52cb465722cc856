import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, DEFAULTS, isLoopback, loadConfig } from '../src/config.js';
import { MappingError } from '../src/core/errors.js';
import { loadOrCreateTokenKey } from '../src/local/tokenKey.js';
import { tempDir } from './helpers/fixtures.js';

const API_KEY = 'k'.repeat(32);
const ADMIN_KEY = 'a'.repeat(32);

/** The error `fn` throws (fails the test when it does not throw). */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a throw');
}

describe('loadConfig', () => {
  it('gives the defaults when nothing is set', () => {
    // Act
    const config = loadConfig({});

    // Assess
    expect(config).toEqual(DEFAULTS);
    expect(config).toMatchObject({
      dataDir: './var',
      host: '127.0.0.1',
      port: 3000,
      apiKey: undefined,
      fieldMap: {},
      batchSize: 500,
      pollMs: 500,
      settleMs: 5000,
      defaultCurrency: 'USD',
    });
  });

  it('parses every environment variable into its typed setting', () => {
    // Prepare
    const env = {
      FRAUDMINI_DATA_DIR: '/srv/fraud',
      FRAUDMINI_HOST: '0.0.0.0',
      FRAUDMINI_PORT: '8080',
      FRAUDMINI_API_KEY: API_KEY,
      FRAUDMINI_ADMIN_KEY: ADMIN_KEY,
      FRAUDMINI_TOKEN_KEY: 'a-token-key-of-enough-bytes',
      FRAUDMINI_RULES: '/etc/fraud/rules.json',
      FRAUDMINI_MAP: 'amt_usd=amount, Customer ID=account_id',
      FRAUDMINI_WEBHOOK_URL: 'https://hooks.example.com/fraud',
      FRAUDMINI_BODY_LIMIT: '2048',
      FRAUDMINI_BATCH_SIZE: '250',
      FRAUDMINI_MAX_RECORD: '1048576',
      FRAUDMINI_POLL_MS: '100',
      FRAUDMINI_SETTLE_MS: '2500',
      FRAUDMINI_CURRENCY: 'eur',
      FRAUDMINI_MODEL: '/etc/fraud/model.json',
      FRAUDMINI_LABEL_DELAY: '3d',
      UNRELATED: 'ignored',
    };

    // Act
    const config = loadConfig(env);

    // Assess
    expect(config).toEqual({
      dataDir: '/srv/fraud',
      host: '0.0.0.0',
      port: 8080,
      apiKey: API_KEY,
      adminKey: ADMIN_KEY,
      tokenKey: 'a-token-key-of-enough-bytes',
      rulesPath: '/etc/fraud/rules.json',
      fieldMap: { amt_usd: 'amount', 'Customer ID': 'account_id' },
      webhookUrl: 'https://hooks.example.com/fraud',
      bodyLimit: 2048,
      batchSize: 250,
      maxRecord: 1 << 20,
      pollMs: 100,
      settleMs: 2500,
      defaultCurrency: 'EUR',
      modelPath: '/etc/fraud/model.json',
      labelDelayMs: 3 * 86_400_000,
    });
  });

  it('names FRAUDMINI_LABEL_DELAY when it is not a duration', () => {
    expect(() => loadConfig({ FRAUDMINI_LABEL_DELAY: '7x' })).toThrow(/FRAUDMINI_LABEL_DELAY/);
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ FRAUDMINI_PORT: '', FRAUDMINI_API_KEY: '', FRAUDMINI_MAP: '' })).toEqual(DEFAULTS);
  });

  it('lets flags win over the environment, and leaves unset flags to it', () => {
    // Prepare
    const env = { FRAUDMINI_PORT: '8080', FRAUDMINI_DATA_DIR: '/env/dir', FRAUDMINI_MAP: 'a=amount' };

    // Act
    const config = loadConfig(env, {
      port: 9090,
      dataDir: undefined,
      fieldMap: { b: 'amount' },
      rulesPath: '/flag/rules.json',
    });

    // Assess
    expect(config.port).toBe(9090);
    expect(config.dataDir).toBe('/env/dir');
    expect(config.fieldMap).toEqual({ b: 'amount' });
    expect(config.rulesPath).toBe('/flag/rules.json');
  });

  it.each([
    ['FRAUDMINI_PORT', 'http'],
    ['FRAUDMINI_PORT', '65536'],
    ['FRAUDMINI_PORT', '-1'],
    ['FRAUDMINI_PORT', '80.5'],
    ['FRAUDMINI_BATCH_SIZE', '0'],
    ['FRAUDMINI_BATCH_SIZE', 'lots'],
    ['FRAUDMINI_POLL_MS', '10'],
    ['FRAUDMINI_BODY_LIMIT', '1e9'],
    ['FRAUDMINI_MAX_RECORD', '100'],
    ['FRAUDMINI_MAX_RECORD', '64k'],
  ])('refuses %s=%s with a message naming the variable and the value', (name, value) => {
    // Act
    const error = thrown(() => loadConfig({ [name]: value }));

    // Assess
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.name).toBe('ConfigError');
    expect(error.message).toContain(name);
    expect(error.message).toContain(`"${value}"`);
  });

  it('refuses a malformed FRAUDMINI_MAP naming the variable and the entry', () => {
    // Act
    const error = thrown(() => loadConfig({ FRAUDMINI_MAP: 'amt_usd=amount,oops' }));
    const unknownField = thrown(() => loadConfig({ FRAUDMINI_MAP: 'amt_usd=money' }));

    // Assess
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.cause).toBeInstanceOf(MappingError);
    expect(error.message).toContain('FRAUDMINI_MAP');
    expect(error.message).toContain('"oops"');
    expect(unknownField.message).toContain('FRAUDMINI_MAP');
    expect(unknownField.message).toContain('"money" is not a field');
  });

  it('refuses a webhook URL that is not http(s)', () => {
    const error = thrown(() => loadConfig({ FRAUDMINI_WEBHOOK_URL: 'ftp://example.com/hook' }));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain('FRAUDMINI_WEBHOOK_URL');
  });

  it('refuses to listen off loopback without an API key, from the environment or a flag', () => {
    // Act
    const fromEnv = thrown(() => loadConfig({ FRAUDMINI_HOST: '0.0.0.0' }));
    const fromFlag = thrown(() => loadConfig({}, { host: '192.168.1.20' }));

    // Assess
    expect(fromEnv).toBeInstanceOf(ConfigError);
    expect(fromEnv.message).toContain('refusing to listen on 0.0.0.0 without an API key');
    expect(fromEnv.message).toContain('FRAUDMINI_API_KEY');
    expect(fromFlag.message).toContain('192.168.1.20');
    expect(loadConfig({ FRAUDMINI_HOST: '0.0.0.0' }, { apiKey: API_KEY }).host).toBe('0.0.0.0');
  });

  it('accepts loopback hosts without an API key', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]']) {
      expect(isLoopback(host), host).toBe(true);
      expect(loadConfig({ FRAUDMINI_HOST: host }).host).toBe(host);
    }
    for (const host of ['0.0.0.0', '::', '10.0.0.1', 'example.com', '127.0.0.1.evil.com']) {
      expect(isLoopback(host), host).toBe(false);
    }
  });

  it('refuses an API key shorter than 16 characters, even on loopback', () => {
    // Act
    const error = thrown(() => loadConfig({ FRAUDMINI_API_KEY: 'short-key' }));

    // Assess
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain('at least 16 characters');
    expect(error.message).not.toContain('short-key');
    expect(loadConfig({ FRAUDMINI_API_KEY: 'x'.repeat(16) }).apiKey).toBe('x'.repeat(16));
  });
});

describe('loadConfig: the admin key', () => {
  it('has none by default: rule changes over HTTP are off', () => {
    expect(loadConfig({}).adminKey).toBeUndefined();
  });

  it('takes it from FRAUDMINI_ADMIN_KEY, and a flag wins', () => {
    expect(loadConfig({ FRAUDMINI_ADMIN_KEY: ADMIN_KEY }).adminKey).toBe(ADMIN_KEY);
    expect(loadConfig({ FRAUDMINI_ADMIN_KEY: ADMIN_KEY }, { adminKey: 'b'.repeat(20) }).adminKey).toBe('b'.repeat(20));
  });

  it('refuses an admin key shorter than 16 characters without echoing it', () => {
    // Act
    const error = thrown(() => loadConfig({ FRAUDMINI_ADMIN_KEY: 'short-admin' }));

    // Assess
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain('admin key must be at least 16 characters');
    expect(error.message).not.toContain('short-admin');
  });

  it('refuses an admin key equal to the API key: every client would be an admin', () => {
    // Act
    const error = thrown(() => loadConfig({ FRAUDMINI_API_KEY: API_KEY, FRAUDMINI_ADMIN_KEY: API_KEY }));

    // Assess
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain('must differ from the API key');
    expect(error.message).not.toContain(API_KEY);
  });
});

describe('loadOrCreateTokenKey', () => {
  let cleanup = (): void => {};
  afterEach(() => cleanup());

  it('generates a 32-byte key once, in a 0600 file, and reuses it', () => {
    // Prepare
    const t = tempDir();
    cleanup = t.cleanup;
    const dataDir = join(t.dir, 'nested', 'data');

    // Act
    const first = loadOrCreateTokenKey(dataDir, undefined);
    const fileAfterFirst = readFileSync(join(dataDir, 'token.key'), 'utf8');
    const second = loadOrCreateTokenKey(dataDir, undefined);

    // Assess
    expect(first).toHaveLength(32);
    expect(second.equals(first)).toBe(true);
    expect(fileAfterFirst.trim()).toBe(first.toString('hex'));
    expect(readFileSync(join(dataDir, 'token.key'), 'utf8')).toBe(fileAfterFirst);
    expect(statSync(join(dataDir, 'token.key')).mode & 0o777).toBe(0o600);
  });

  it('gives different keys to different data dirs', () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const a = loadOrCreateTokenKey(join(t.dir, 'a'), undefined);
    const b = loadOrCreateTokenKey(join(t.dir, 'b'), undefined);
    expect(a.equals(b)).toBe(false);
  });

  it('tightens a key file readable by others back to 0600', () => {
    // Prepare
    const t = tempDir();
    cleanup = t.cleanup;
    const key = loadOrCreateTokenKey(t.dir, undefined);
    chmodSync(join(t.dir, 'token.key'), 0o644);

    // Act
    const again = loadOrCreateTokenKey(t.dir, undefined);

    // Assess
    expect(again.equals(key)).toBe(true);
    expect(statSync(join(t.dir, 'token.key')).mode & 0o777).toBe(0o600);
  });

  it('uses a configured key and writes no key file', () => {
    // Prepare
    const t = tempDir();
    cleanup = t.cleanup;
    mkdirSync(join(t.dir, 'data'));
    writeFileSync(join(t.dir, 'data', 'token.key'), `${'ab'.repeat(32)}\n`, { mode: 0o600 });
    const configured = 'my-configured-token-key';

    // Act
    const key = loadOrCreateTokenKey(join(t.dir, 'data'), configured);
    const fresh = loadOrCreateTokenKey(join(t.dir, 'fresh'), configured);

    // Assess
    expect(key.toString('utf8')).toBe(configured);
    expect(fresh.toString('utf8')).toBe(configured);
    expect(existsSync(join(t.dir, 'fresh', 'token.key'))).toBe(false);
  });

  it('refuses a configured key shorter than 16 bytes', () => {
    // Prepare
    const t = tempDir();
    cleanup = t.cleanup;

    // Act
    const error = thrown(() => loadOrCreateTokenKey(t.dir, 'too-short'));

    // Assess
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain('FRAUDMINI_TOKEN_KEY must be at least 16 bytes');
    expect(error.message).not.toContain('too-short');
    expect(existsSync(join(t.dir, 'token.key'))).toBe(false);
  });

  it('refuses a key file that holds too short a key', () => {
    // Prepare
    const t = tempDir();
    cleanup = t.cleanup;
    writeFileSync(join(t.dir, 'token.key'), 'abcd\n', { mode: 0o600 });

    // Act
    const error = thrown(() => loadOrCreateTokenKey(t.dir, undefined));

    // Assess
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain(join(t.dir, 'token.key'));
  });
});
