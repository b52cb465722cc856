import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * scrypt's cost: N = 2^15, r = 8, p = 1 needs 32 MiB of memory per hash (128 · N · r bytes), which
 * is what makes a guess expensive on any hardware; OWASP's floor for scrypt is N = 2^17 with
 * r = 8 and p = 1 or an equivalent trade, and N = 2^15 with r = 8 keeps a sign-in under a tenth of
 * a second on a small machine. The parameters are stored with each hash, so raising them later
 * leaves existing passwords verifiable.
 */
export const SCRYPT_PARAMS = { N: 2 ** 15, r: 8, p: 1 } as const;
const KEY_BYTES = 32;
const SALT_BYTES = 16;

type ScryptParams = { N: number; r: number; p: number };

function derive(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // Twice what the parameters need: Node refuses a derivation above maxmem.
    const maxmem = 256 * params.N * params.r;
    scrypt(password.normalize('NFC'), salt, KEY_BYTES, { ...params, maxmem }, (e, key) => (e ? reject(e) : resolve(key)));
  });
}

/**
 * Hashes a password with scrypt and a random salt of its own, as
 * `scrypt$N$r$p$<salt base64url>$<key base64url>`.
 *
 * @example
 * const stored = await hashPassword('correct horse battery staple');
 * await verifyPassword('correct horse battery staple', stored); // true
 */
export async function hashPassword(password: string, params: ScryptParams = SCRYPT_PARAMS): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, params);
  return ['scrypt', params.N, params.r, params.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/**
 * Whether `password` matches a hash made by {@link hashPassword}, compared in constant time. A
 * malformed hash matches nothing.
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![N, r, p].every((n) => Number.isInteger(n) && n > 0)) return false;
  const expected = Buffer.from(parts[5] ?? '', 'base64url');
  const key = await derive(password, Buffer.from(parts[4] ?? '', 'base64url'), { N, r, p });
  return expected.length === key.length && timingSafeEqual(key, expected);
}

/**
 * A hash of a random password, verified against when the user name is unknown: a sign-in takes
 * the same time whether the name exists or not.
 */
let decoy: Promise<string> | undefined;
export function decoyHash(): Promise<string> {
  decoy ??= hashPassword(randomBytes(16).toString('hex'));
  return decoy;
}
