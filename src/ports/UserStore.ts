/** What a console user may do: an analyst reviews alerts; an admin also changes the rules. */
export type Role = 'analyst' | 'admin';

/** The roles, for validating input. */
export const ROLES: readonly Role[] = ['analyst', 'admin'];

/** A console user as stored: the password only as its KDF hash (see `src/app/passwords.ts`). */
export interface StoredUser {
  name: string;
  role: Role;
  /** `scrypt$N$r$p$salt$hash`, base64url parts. */
  passwordHash: string;
  createdAt: string;
}

/**
 * The console's named users (the users table locally).
 *
 * @example
 * await users.putUser({ name: 'ana', role: 'analyst', passwordHash, createdAt: new Date().toISOString() });
 * const ana = await users.findUser('ana');
 */
export interface UserStore {
  /** Adds the user, or replaces the role and password of one with that name; true when it is new. */
  putUser(user: StoredUser): Promise<boolean>;
  findUser(name: string): Promise<StoredUser | undefined>;
}
