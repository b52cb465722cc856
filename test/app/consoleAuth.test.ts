import { describe, expect, it } from 'vitest';
import { addUser, csrfMatches, findSession, sessionHash, signIn, signOut } from '../../src/app/consoleAuth.js';
import { InvalidCredentialsError, InvalidUserError } from '../../src/app/errors.js';
import { InMemorySessionStore } from '../fakes/InMemorySessionStore.js';
import { InMemoryUserStore } from '../fakes/InMemoryUserStore.js';

function stores(now = { t: 1_000_000 }) {
  const users = new InMemoryUserStore();
  return { users, sessions: new InMemorySessionStore(users), ttlMs: 60_000, now: () => now.t };
}

describe('console users and sessions', () => {
  it('refuses a bad name, an unknown role and an empty or short password, each with its reason', async () => {
    // Prepare
    const { users } = stores();
    const add = (name: string, role: string, password: string) => addUser({ users }, { name, role, password });

    // Act / Assess
    await expect(add('ana smith', 'analyst', 'long enough')).rejects.toThrow(/user name "ana smith" is not 1–64/);
    await expect(add('ana', 'root', 'long enough')).rejects.toThrow('role must be analyst or admin, got "root"');
    await expect(add('ana', 'analyst', '')).rejects.toThrow(InvalidUserError);
    await expect(add('ana', 'analyst', 'short')).rejects.toThrow('the password is shorter than 8 characters');
    expect(await users.findUser('ana')).toBeUndefined();
  });

  it('signs in to a session stored under the hash of its id, found by the id until it expires or signs out', async () => {
    // Prepare
    const clock = { t: 1_000_000 };
    const deps = stores(clock);
    await addUser({ users: deps.users }, { name: 'ana', role: 'analyst', password: 'long enough' });

    // Act
    const { id, session } = await signIn(deps, 'ana', 'long enough');
    const found = await findSession(deps, id);
    const byHash = await findSession(deps, sessionHash(id));
    clock.t += 60_000;
    const expired = await findSession(deps, id);
    clock.t -= 30_000;
    await signOut(deps, id);
    const signedOut = await findSession(deps, id);

    // Assess
    expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(session).toMatchObject({ user: 'ana', role: 'analyst', idHash: sessionHash(id), expiresAt: 1_060_000 });
    expect(found?.user).toBe('ana');
    expect(byHash).toBeUndefined();
    expect(expired).toBeUndefined();
    expect(signedOut).toBeUndefined();
  });

  it('refuses a wrong password and an unknown user with the same error', async () => {
    // Prepare
    const deps = stores();
    await addUser({ users: deps.users }, { name: 'ana', role: 'analyst', password: 'long enough' });

    // Act / Assess
    await expect(signIn(deps, 'ana', 'long enougH')).rejects.toThrow(InvalidCredentialsError);
    await expect(signIn(deps, 'bob', 'long enough')).rejects.toThrow(InvalidCredentialsError);
  });

  it('matches the session\'s own anti-CSRF token only', async () => {
    // Prepare
    const deps = stores();
    await addUser({ users: deps.users }, { name: 'ana', role: 'analyst', password: 'long enough' });
    const a = await signIn(deps, 'ana', 'long enough');
    const b = await signIn(deps, 'ana', 'long enough');

    // Act / Assess
    expect(csrfMatches(a.session, a.session.csrfToken)).toBe(true);
    expect(csrfMatches(a.session, b.session.csrfToken)).toBe(false);
    expect(csrfMatches(a.session, undefined)).toBe(false);
    expect(csrfMatches(a.session, [a.session.csrfToken])).toBe(false);
  });
});
