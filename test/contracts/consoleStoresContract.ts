import { describe, expect, it } from 'vitest';
import type { SessionStore } from '../../src/ports/SessionStore.js';
import type { StoredUser, UserStore } from '../../src/ports/UserStore.js';

const user = (name: string, role: StoredUser['role'] = 'analyst', passwordHash = `scrypt$1$8$1$salt$${name}`): StoredUser => ({
  name,
  role,
  passwordHash,
  createdAt: '2026-03-01T10:00:00.000Z',
});

/**
 * The behaviour every {@link UserStore} and {@link SessionStore} pair promises. `make` returns a
 * new, empty pair on each call, the sessions reading roles from the users.
 *
 * @example
 * describeConsoleStoresContract('SQLite', async () => { const db = …; return { users: new SqliteUserStore({ db }), sessions: new SqliteSessionStore({ db }) }; });
 */
export function describeConsoleStoresContract(name: string, make: () => Promise<{ users: UserStore; sessions: SessionStore }>): void {
  describe(`UserStore and SessionStore contract: ${name}`, () => {
    it('adds a user, then replaces its role and password but keeps its creation time', async () => {
      // Prepare
      const { users } = await make();

      // Act
      const added = await users.putUser(user('ana'));
      const again = await users.putUser({ ...user('ana', 'admin', 'scrypt$1$8$1$salt$new'), createdAt: '2027-01-01T00:00:00.000Z' });

      // Assess
      expect(added).toBe(true);
      expect(again).toBe(false);
      expect(await users.findUser('ana')).toEqual({ ...user('ana', 'admin', 'scrypt$1$8$1$salt$new') });
      expect(await users.findUser('Ana')).toBeUndefined();
    });

    it('finds a live session with its user\'s current role, never an expired or deleted one, nor one of a removed user', async () => {
      // Prepare
      const { users, sessions } = await make();
      await users.putUser(user('ana'));
      await sessions.putSession({ idHash: 'h1', user: 'ana', csrfToken: 'c1', expiresAt: 1000 });
      await sessions.putSession({ idHash: 'h2', user: 'ana', csrfToken: 'c2', expiresAt: 2000 });
      await sessions.putSession({ idHash: 'h3', user: 'ghost', csrfToken: 'c3', expiresAt: 2000 });

      // Act
      const live = await sessions.findSession('h1', 999);
      await users.putUser(user('ana', 'admin'));
      const promoted = await sessions.findSession('h2', 999);
      const expired = await sessions.findSession('h1', 1000);
      const removed = await sessions.deleteExpired(1500);
      await sessions.deleteSession('h2');

      // Assess
      expect(live).toEqual({ idHash: 'h1', user: 'ana', csrfToken: 'c1', expiresAt: 1000, role: 'analyst' });
      expect(promoted?.role).toBe('admin');
      expect(expired).toBeUndefined();
      expect(removed).toBe(1);
      expect(await sessions.findSession('h2', 0)).toBeUndefined();
      expect(await sessions.findSession('h3', 0)).toBeUndefined();
    });
  });
}
