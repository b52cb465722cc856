import type Database from 'better-sqlite3';
import type { ActiveSession, SessionStore, StoredSession } from '../../ports/SessionStore.js';
import type { Role } from '../../ports/UserStore.js';

/**
 * Console sessions in the data dir's database (the `sessions` table), keyed by the hash of their
 * id. A session is read with its user's current role; a removed user's sessions are not found.
 *
 * @example
 * const sessions = new SqliteSessionStore({ db: state.db });
 */
export class SqliteSessionStore implements SessionStore {
  private readonly db: Database.Database;

  constructor(options: { db: Database.Database }) {
    this.db = options.db;
  }

  async putSession(s: StoredSession): Promise<void> {
    this.db
      .prepare('INSERT INTO sessions (id_hash, user_name, csrf_token, expires_at) VALUES (?, ?, ?, ?)')
      .run(s.idHash, s.user, s.csrfToken, s.expiresAt);
  }

  async findSession(idHash: string, now: number): Promise<ActiveSession | undefined> {
    const row = this.db
      .prepare(
        `SELECT s.id_hash, s.user_name, s.csrf_token, s.expires_at, u.role
         FROM sessions s JOIN users u ON u.name = s.user_name
         WHERE s.id_hash = ? AND s.expires_at > ?`,
      )
      .get(idHash, now) as
      | { id_hash: string; user_name: string; csrf_token: string; expires_at: number; role: Role }
      | undefined;
    return (
      row && { idHash: row.id_hash, user: row.user_name, csrfToken: row.csrf_token, expiresAt: row.expires_at, role: row.role }
    );
  }

  async deleteSession(idHash: string): Promise<void> {
    this.db.prepare('DELETE FROM sessions WHERE id_hash = ?').run(idHash);
  }

  async deleteExpired(now: number): Promise<number> {
    return this.db.prepare('DELETE FROM sessions WHERE expires_at <= ?').run(now).changes;
  }
}
