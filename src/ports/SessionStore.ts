import type { Role } from './UserStore.js';

/** A console session as stored: keyed by the SHA-256 of its id, never by the id itself. */
export interface StoredSession {
  /** Hex SHA-256 of the session id the cookie carries. */
  idHash: string;
  user: string;
  /** The anti-CSRF token every state-changing request of this session must send in a header. */
  csrfToken: string;
  /** Epoch ms after which the session is refused. */
  expiresAt: number;
}

/** A live session with the role its user has now (a changed role applies at once). */
export interface ActiveSession extends StoredSession {
  role: Role;
}

/**
 * Console sessions (the sessions table locally).
 *
 * @example
 * await sessions.putSession({ idHash, user: 'ana', csrfToken, expiresAt });
 * const s = await sessions.findSession(idHash, Date.now());
 */
export interface SessionStore {
  putSession(session: StoredSession): Promise<void>;
  /** The session if it exists, has not expired at `now` and its user still exists. */
  findSession(idHash: string, now: number): Promise<ActiveSession | undefined>;
  deleteSession(idHash: string): Promise<void>;
  /** Removes the sessions expired at `now`; returns how many. */
  deleteExpired(now: number): Promise<number>;
}
