import type { StoredUser, UserStore } from '../../src/ports/UserStore.js';

/** {@link UserStore} in memory, for use-case tests. */
export class InMemoryUserStore implements UserStore {
  private readonly users = new Map<string, StoredUser>();

  async putUser(user: StoredUser): Promise<boolean> {
    const existing = this.users.get(user.name);
    this.users.set(user.name, existing ? { ...existing, role: user.role, passwordHash: user.passwordHash } : { ...user });
    return !existing;
  }

  async findUser(name: string): Promise<StoredUser | undefined> {
    const u = this.users.get(name);
    return u && { ...u };
  }
}
