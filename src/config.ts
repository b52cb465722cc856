import { DEFAULT_MAX_RECORD } from './core/csv.js';
import { parseDuration } from './core/duration.js';
import { FraudminiError } from './core/errors.js';
import { type FieldMap, parseFieldMap } from './core/schema.js';

/** A configuration value is missing or malformed. */
export class ConfigError extends FraudminiError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConfigError';
  }
}

/** Every setting of the local runtime, typed and validated. */
export interface Config {
  dataDir: string;
  host: string;
  port: number;
  /** Required when `host` is not a loopback address. */
  apiKey: string | undefined;
  /**
   * Needed (in `x-admin-key`, on top of the API key) by the admin routes such as `PUT /rules`.
   * Unset: those routes answer 403, and rules change only by editing the rules file.
   */
  adminKey: string | undefined;
  /** Card tokenisation key; when unset, one is generated in the data dir on first start. */
  tokenKey: string | undefined;
  /** Rules file; `<dataDir>/rules.json` (a copy of the bundled default made on first start) when unset. */
  rulesPath: string | undefined;
  /** A trained model (JSON from `fraudmini train`) to combine with the rules. */
  modelPath: string | undefined;
  /** How long after a transaction its label (fraud/legit) is known to the features. */
  labelDelayMs: number;
  fieldMap: FieldMap;
  webhookUrl: string | undefined;
  bodyLimit: number;
  batchSize: number;
  /** Longest CSV row, in characters: a longer row is rejected, a quoted field still open that far fails its file. */
  maxRecord: number;
  pollMs: number;
  /** How long an inbox file whose last line has no line end must hold still before that line is read. */
  settleMs: number;
  defaultCurrency: string;
}

interface Setting<K extends keyof Config> {
  env: string;
  key: K;
  doc: string;
  parse: (raw: string) => Config[K];
}

const int =
  (name: string, min: number, max: number) =>
  (raw: string): number => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new ConfigError(`${name} must be an integer ${min}–${max}, got "${raw}"`);
    return n;
  };

/**
 * Every environment variable fraudmini reads: name, meaning, parser. `.env.example` mirrors it.
 * Command-line flags override these.
 */
export const SETTINGS = [
  {
    env: 'FRAUDMINI_DATA_DIR',
    key: 'dataDir',
    doc: 'folder for inbox/, processed/, failed/, the database and keys',
    parse: (s: string) => s,
  },
  { env: 'FRAUDMINI_HOST', key: 'host', doc: 'address the HTTP API binds to', parse: (s: string) => s },
  {
    env: 'FRAUDMINI_PORT',
    key: 'port',
    doc: 'HTTP API port (0 picks a free one)',
    parse: int('FRAUDMINI_PORT', 0, 65535),
  },
  {
    env: 'FRAUDMINI_API_KEY',
    key: 'apiKey',
    doc: 'x-api-key required on every request; mandatory off loopback',
    parse: (s: string) => s,
  },
  {
    env: 'FRAUDMINI_ADMIN_KEY',
    key: 'adminKey',
    doc: 'x-admin-key for PUT /rules and GET /rules/audit; unset: rule changes over HTTP are off',
    parse: (s: string) => s,
  },
  {
    env: 'FRAUDMINI_TOKEN_KEY',
    key: 'tokenKey',
    doc: 'card tokenisation HMAC key (>= 16 bytes); generated in the data dir when unset',
    parse: (s: string) => s,
  },
  {
    env: 'FRAUDMINI_RULES',
    key: 'rulesPath',
    doc: 'rules file (JSON; default <data-dir>/rules.json); reloaded when it changes',
    parse: (s: string) => s,
  },
  {
    env: 'FRAUDMINI_MODEL',
    key: 'modelPath',
    doc: 'model file from fraudmini train, combined with the rules',
    parse: (s: string) => s,
  },
  {
    env: 'FRAUDMINI_LABEL_DELAY',
    key: 'labelDelayMs',
    doc: 'when a label becomes known to the features (default 7d)',
    parse: (s: string) => parseDuration(s, 'FRAUDMINI_LABEL_DELAY'),
  },
  {
    env: 'FRAUDMINI_MAP',
    key: 'fieldMap',
    doc: 'your column names onto ours: THEIR_NAME=our_name,...',
    parse: parseFieldMap,
  },
  {
    env: 'FRAUDMINI_WEBHOOK_URL',
    key: 'webhookUrl',
    doc: 'POST alerts here as JSON (retried with backoff)',
    parse: (s: string) => s,
  },
  {
    env: 'FRAUDMINI_BODY_LIMIT',
    key: 'bodyLimit',
    doc: 'largest HTTP request body in bytes',
    parse: int('FRAUDMINI_BODY_LIMIT', 1024, 10 << 20),
  },
  {
    env: 'FRAUDMINI_BATCH_SIZE',
    key: 'batchSize',
    doc: 'rows per committed batch while ingesting a file',
    parse: int('FRAUDMINI_BATCH_SIZE', 1, 1_000_000),
  },
  {
    env: 'FRAUDMINI_MAX_RECORD',
    key: 'maxRecord',
    doc: 'longest CSV row in characters (longer: rejected)',
    parse: int('FRAUDMINI_MAX_RECORD', 1024, 64 << 20),
  },
  {
    env: 'FRAUDMINI_POLL_MS',
    key: 'pollMs',
    doc: 'how often the inbox is scanned, in ms',
    parse: int('FRAUDMINI_POLL_MS', 50, 60_000),
  },
  {
    env: 'FRAUDMINI_SETTLE_MS',
    key: 'settleMs',
    doc: 'how long an inbox file ending mid-line must hold still before that line is read, in ms',
    parse: int('FRAUDMINI_SETTLE_MS', 0, 600_000),
  },
  {
    env: 'FRAUDMINI_CURRENCY',
    key: 'defaultCurrency',
    doc: 'currency of rows without one',
    parse: (s: string) => s.toUpperCase(),
  },
] as const satisfies readonly Setting<keyof Config>[];

/** Defaults of every setting. */
export const DEFAULTS: Config = {
  dataDir: './var',
  host: '127.0.0.1',
  port: 3000,
  apiKey: undefined,
  adminKey: undefined,
  tokenKey: undefined,
  rulesPath: undefined,
  modelPath: undefined,
  labelDelayMs: 7 * 86_400_000,
  fieldMap: {},
  webhookUrl: undefined,
  bodyLimit: 64 * 1024,
  // A batch's rows live from their parse to their commit: a few hundred die young, where thousands
  // outlived the young generation's collections and were promoted (docs/performance.md).
  batchSize: 500,
  maxRecord: DEFAULT_MAX_RECORD,
  pollMs: 500,
  settleMs: 5000,
  defaultCurrency: 'USD',
};

/**
 * Builds the configuration from environment variables and then overrides (command-line flags).
 * Validates everything at start-up so a typo fails fast with the variable's name.
 */
export function loadConfig(env: Record<string, string | undefined>, overrides: Partial<Config> = {}): Config {
  const config: Config = { ...DEFAULTS };
  for (const s of SETTINGS) {
    const raw = env[s.env];
    if (raw === undefined || raw === '') continue;
    (config as unknown as Record<string, unknown>)[s.key] = parseSetting(s.env, s.parse, raw);
  }
  for (const [k, v] of Object.entries(overrides)) {
    if (v !== undefined) (config as unknown as Record<string, unknown>)[k] = v;
  }
  if (config.webhookUrl !== undefined && !/^https?:\/\//.test(config.webhookUrl)) {
    throw new ConfigError(`FRAUDMINI_WEBHOOK_URL must be an http(s) URL, got "${config.webhookUrl}"`);
  }
  if (!isLoopback(config.host) && !config.apiKey) {
    throw new ConfigError(
      `refusing to listen on ${config.host} without an API key: set FRAUDMINI_API_KEY (or --api-key), or bind to 127.0.0.1`,
    );
  }
  if (config.apiKey !== undefined && config.apiKey.length < 16) {
    throw new ConfigError('the API key must be at least 16 characters');
  }
  if (config.adminKey !== undefined) {
    if (config.adminKey.length < 16) throw new ConfigError('the admin key must be at least 16 characters');
    // Equal keys would make every client an admin, which is what the admin key exists to prevent.
    if (config.adminKey === config.apiKey) throw new ConfigError('the admin key must differ from the API key');
  }
  return config;
}

/** Runs one setting's parser so any error it raises names the variable it came from. */
function parseSetting(env: string, parse: (raw: string) => unknown, raw: string): unknown {
  try {
    return parse(raw);
  } catch (e) {
    if (e instanceof ConfigError || !(e instanceof FraudminiError)) throw e;
    throw new ConfigError(`${env}: ${e.message}`, { cause: e });
  }
}

/** True for addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
