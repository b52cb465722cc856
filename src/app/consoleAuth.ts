/**
 * The console's users and sessions: adding a user, signing in and out, and resolving the session
 * a request's cookie names. A session id is 32 random bytes, given to the browser once (in its
 * cookie) and stored only as its SHA-256; each session has its own anti-CSRF token, which the
 * console sends in a header with every state-changing request.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ActiveSession, SessionStore } from '../ports/SessionStore.js';
import { ROLES, type Role, type UserStore } from '../ports/UserStore.js';
import { InvalidCredentialsError, InvalidUserError, TooManyAttemptsError } from './errors.js';
import { decoyHash, hashPassword, verifyPassword } from './passwords.js';

/** How long a session lasts after sign-in. @default 12 hours */
export const DEFAULT_SESSION_TTL_MS = 12 * 3_600_000;
/** Shortest password accepted. */
export const MIN_PASSWORD_LENGTH = 8;
const NAME = /^[A-Za-z0-9._@-]{1,64}$/;

/**
 * Adds a user, or resets the role and password of an existing one; returns true when it is new.
 * Refuses a name outside `[A-Za-z0-9._@-]{1,64}`, an unknown role and a password shorter than
 * {@link MIN_PASSWORD_LENGTH}.
 *
 * @example
 * await addUser({ users }, { name: 'ana', role: 'analyst', password: process.env.FRAUDMINI_PASSWORD ?? '' });
 */
export async function addUser(
  deps: { users: UserStore; now?: () => Date },
  input: { name: string; role: string; password: string },
): Promise<boolean> {
  if (!NAME.test(input.name)) {
    throw new InvalidUserError(`user name "${input.name.slice(0, 80)}" is not 1–64 letters, digits or . _ @ -`);
  }
  if (!(ROLES as readonly string[]).includes(input.role)) {
    throw new InvalidUserError(`role must be ${ROLES.join(' or ')}, got "${input.role.slice(0, 40)}"`);
  }
  if (input.password.length === 0) throw new InvalidUserError('the password is empty: set FRAUDMINI_PASSWORD or type one');
  if (input.password.length < MIN_PASSWORD_LENGTH) {
    throw new InvalidUserError(`the password is shorter than ${MIN_PASSWORD_LENGTH} characters`);
  }
  return deps.users.putUser({
    name: input.name,
    role: input.role as Role,
    passwordHash: await hashPassword(input.password),
    createdAt: (deps.now?.() ?? new Date()).toISOString(),
  });
}

/** The ports and settings of signing in. */
export interface SessionDeps {
  users: UserStore;
  sessions: SessionStore;
  /** @default DEFAULT_SESSION_TTL_MS */
  ttlMs?: number;
  now?: () => number;
  /** Limits failed sign-ins per user name and client; absent: no limit. */
  throttle?: SignInThrottle;
}

/**
 * Failed sign-ins per user name and client address: after {@link SignInThrottle.limit} failures
 * in a window, that pair is refused until the window ends, without checking the password. It
 * bounds password guessing (and the memory and time each scrypt check costs) without letting
 * someone elsewhere lock a user out. Kept in memory: a restart forgets it.
 */
export class SignInThrottle {
  private readonly failures = new Map<string, { count: number; until: number }>();

  constructor(
    readonly limit = 5,
    readonly windowMs = 15 * 60_000,
  ) {}

  /** Throws {@link TooManyAttemptsError} while `key` is locked out at `now`. */
  check(key: string, now: number): void {
    const f = this.failures.get(key);
    if (!f) return;
    if (f.until <= now) this.failures.delete(key);
    else if (f.count >= this.limit) throw new TooManyAttemptsError(Math.ceil((f.until - now) / 1000));
  }

  failed(key: string, now: number): void {
    const f = this.failures.get(key);
    if (f && f.until > now) f.count++;
    else this.failures.set(key, { count: 1, until: now + this.windowMs });
    // Old entries go as new ones come, so the map stays as small as the recent failures.
    if (this.failures.size > 10_000) for (const [k, v] of this.failures) if (v.until <= now) this.failures.delete(k);
  }

  succeeded(key: string): void {
    this.failures.delete(key);
  }
}

/** A new session: the id goes into the cookie and nowhere else. */
export interface NewSession {
  id: string;
  session: ActiveSession;
}

/**
 * Signs a user in. Unknown name and wrong password fail alike, in the same time (a decoy hash is
 * verified for an unknown name), with {@link InvalidCredentialsError}; `client` (the address)
 * keys the throttle with the name.
 */
export async function signIn(deps: SessionDeps, name: string, password: string, client = ''): Promise<NewSession> {
  const key = `${client} ${name}`;
  deps.throttle?.check(key, deps.now?.() ?? Date.now());
  const user = await deps.users.findUser(name);
  const ok = await verifyPassword(password, user?.passwordHash ?? (await decoyHash()));
  if (!user || !ok) {
    deps.throttle?.failed(key, deps.now?.() ?? Date.now());
    throw new InvalidCredentialsError();
  }
  deps.throttle?.succeeded(key);
  const now = deps.now?.() ?? Date.now();
  // Expired sessions are removed as new ones are made, so the table stays as small as the live ones.
  await deps.sessions.deleteExpired(now);
  const id = randomBytes(32).toString('base64url');
  const stored = {
    idHash: sessionHash(id),
    user: user.name,
    csrfToken: randomBytes(32).toString('base64url'),
    expiresAt: now + (deps.ttlMs ?? DEFAULT_SESSION_TTL_MS),
  };
  await deps.sessions.putSession(stored);
  return { id, session: { ...stored, role: user.role } };
}

/** The live session a cookie's id names, or undefined (unknown, expired, or its user removed). */
export async function findSession(deps: SessionDeps, id: string): Promise<ActiveSession | undefined> {
  if (id === '') return undefined;
  return deps.sessions.findSession(sessionHash(id), deps.now?.() ?? Date.now());
}

/** Ends a session (signing out); an unknown id is no error. */
export async function signOut(deps: SessionDeps, id: string): Promise<void> {
  await deps.sessions.deleteSession(sessionHash(id));
}

/** Whether a request's header holds the session's anti-CSRF token, compared in constant time. */
export function csrfMatches(session: ActiveSession, given: string | string[] | undefined): boolean {
  if (typeof given !== 'string') return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(session.csrfToken).digest();
  return timingSafeEqual(a, b);
}

/** What a session is stored under: the SHA-256 (hex) of its id. */
export function sessionHash(id: string): string {
  return createHash('sha256').update(id).digest('hex');
}
