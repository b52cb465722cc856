import { describe, expect, it } from 'vitest';
import { hashPassword, SCRYPT_PARAMS, verifyPassword } from '../../src/app/passwords.js';

describe('password hashing', () => {
  it('stores scrypt with its parameters and a salt of its own per hash, never the password', async () => {
    // Act
    const a = await hashPassword('correct horse battery');
    const b = await hashPassword('correct horse battery');

    // Assess
    expect(a).toMatch(new RegExp(`^scrypt\\$${SCRYPT_PARAMS.N}\\$${SCRYPT_PARAMS.r}\\$${SCRYPT_PARAMS.p}\\$[A-Za-z0-9_-]{22}\\$[A-Za-z0-9_-]{43}$`));
    expect(a).not.toBe(b);
    expect(a).not.toContain('correct');
  });

  it('verifies the password and nothing else, and a malformed hash matches nothing', async () => {
    // Prepare: cheap parameters keep the test fast; the stored ones are used to verify
    const stored = await hashPassword('s3cret-enough', { N: 1024, r: 8, p: 1 });

    // Act / Assess
    expect(await verifyPassword('s3cret-enough', stored)).toBe(true);
    expect(await verifyPassword('s3cret-enougH', stored)).toBe(false);
    expect(await verifyPassword('', stored)).toBe(false);
    expect(await verifyPassword('s3cret-enough', 'plain-text')).toBe(false);
    expect(await verifyPassword('s3cret-enough', stored.replace(/\$1024\$/, '$0$'))).toBe(false);
  });
});
