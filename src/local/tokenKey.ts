import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../config.js';

/**
 * The card tokenisation key: the configured one, or the one kept in `<dataDir>/token.key`
 * (created on first start with 32 random bytes, mode 0600). Changing the key changes every card
 * token, so per-card features start afresh; keep the file with the database.
 */
export function loadOrCreateTokenKey(dataDir: string, configured: string | undefined): Buffer {
  if (configured !== undefined) {
    const key = Buffer.from(configured, 'utf8');
    if (key.length < 16) throw new ConfigError('FRAUDMINI_TOKEN_KEY must be at least 16 bytes');
    return key;
  }
  const path = join(dataDir, 'token.key');
  if (existsSync(path)) {
    if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
    const key = Buffer.from(readFileSync(path, 'utf8').trim(), 'hex');
    if (key.length < 16) throw new ConfigError(`${path} does not hold a key of at least 16 bytes (hex)`);
    return key;
  }
  // `fraudmini score` may be the first to need the data dir: it holds the key, so others keep out.
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const key = randomBytes(32);
  writeFileSync(path, `${key.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  return key;
}
