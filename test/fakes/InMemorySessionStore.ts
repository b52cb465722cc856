import type { ActiveSession, SessionStore, StoredSession } from '../../src/ports/SessionStore.js';
import type { UserStore } from '../../src/ports/UserStore.js';

/** {@link SessionStore} in memory, reading roles from the {@link UserStore} given. */
export class InMemorySessionStore implements SessionStore {
  private readonly sessions = new Map<string, StoredSession>();

  constructor(private readonly users: UserStore) {}

  async putSession(s: StoredSession): Promise<void> {
    if (this.sessions.has(s.idHash)) throw new Error(`session ${s.idHash} exists`);
    this.sessions.set(s.idHash, { ...s });
  }

  async findSession(idHash: string, now: number): Promise<ActiveSession | undefined> {
    const s = this.sessions.get(idHash);
    if (!s || s.expiresAt <= now) return undefined;
    const user = await this.users.findUser(s.user);
    return user && { ...s, role: user.role };
  }

  async deleteSession(idHash: string): Promise<void> {
    this.sessions.delete(idHash);
  }

  async deleteExpired(now: number): Promise<number> {
    let n = 0;
    for (const [k, s] of this.sessions) if (s.expiresAt <= now && this.sessions.delete(k)) n++;
    return n;
  }
}
