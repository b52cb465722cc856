import type Database from 'better-sqlite3';
import type { Role, StoredUser, UserStore } from '../../ports/UserStore.js';

/**
 * The console's users in the data dir's database (the `users` table of {@link SqliteStateStore}'s
 * schema), on the connection given.
 *
 * @example
 * const users = new SqliteUserStore({ db: state.db });
 */
export class SqliteUserStore implements UserStore {
  private readonly db: Database.Database;

  constructor(options: { db: Database.Database }) {
    this.db = options.db;
  }

  async putUser(user: StoredUser): Promise<boolean> {
    return this.db
      .transaction((): boolean => {
        const existed = this.db.prepare('SELECT 1 FROM users WHERE name = ?').get(user.name) !== undefined;
        this.db
          .prepare(
            `INSERT INTO users (name, role, password_hash, created_at) VALUES (?, ?, ?, ?)
             ON CONFLICT(name) DO UPDATE SET role = excluded.role, password_hash = excluded.password_hash`,
          )
          .run(user.name, user.role, user.passwordHash, user.createdAt);
        return !existed;
      })
      .immediate();
  }

  async findUser(name: string): Promise<StoredUser | undefined> {
    const row = this.db.prepare('SELECT name, role, password_hash, created_at FROM users WHERE name = ?').get(name) as
      | { name: string; role: Role; password_hash: string; created_at: string }
      | undefined;
    return row && { name: row.name, role: row.role, passwordHash: row.password_hash, createdAt: row.created_at };
  }
}
