import { DeleteCommand, GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ActiveSession, SessionStore, StoredSession } from '../../ports/SessionStore.js';
import type { UserStore } from '../../ports/UserStore.js';
import { DynamoUserStore } from './DynamoUserStore.js';
import { defaultDocumentClient, type Item, mapLimit, queryPages } from './DynamoSupport.js';

/** Options of {@link DynamoSessionStore}. */
export interface DynamoSessionStoreOptions {
  client?: DynamoDBDocumentClient;
  /** Physical name of the `state` table. */
  stateTable: string;
  /** Where a session's user (and role) is read. @default a {@link DynamoUserStore} on the same table */
  users?: UserStore;
}

/** The partition listing sessions by expiry, so the expired ones are found with one query. */
const EXPIRY_PK = 'session-expiry';
/** Digits of an expiry time (epoch ms) in a sort key, so the keys sort as the times do. */
const PAD = 16;

/**
 * Console sessions on the state table, keyed by the SHA-256 of their id (never the id):
 *
 * - `session#<hash>` / `session`: the user, the anti-CSRF token and the expiry time; also
 *   `expiresAtS` (epoch seconds) for a TTL attribute, should the table be given one;
 * - `session-expiry` / `<expiry, zero-padded>#<hash>`: the same session listed by expiry, so
 *   {@link deleteExpired} reads only the expired ones (sign-ins are rare enough for one partition).
 *
 * A session is read with its user's current role (a second read, of the user), so a changed role
 * applies at once and a removed user's sessions are not found.
 *
 * @example
 * const sessions = new DynamoSessionStore({ client: clients.dynamo, stateTable });
 */
export class DynamoSessionStore implements SessionStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly table: string;
  private readonly users: UserStore;

  constructor(options: DynamoSessionStoreOptions) {
    this.client = options.client ?? defaultDocumentClient();
    this.table = options.stateTable;
    this.users = options.users ?? new DynamoUserStore({ client: this.client, stateTable: options.stateTable });
  }

  async putSession(s: StoredSession): Promise<void> {
    const expiresAtS = Math.ceil(s.expiresAt / 1000);
    // The expiry entry first: a session is never stored without a way to find it expired.
    await this.client.send(new PutCommand({ TableName: this.table, Item: { pk: EXPIRY_PK, sk: expirySk(s.expiresAt, s.idHash), idHash: s.idHash, expiresAtS } }));
    await this.client.send(
      new PutCommand({
        TableName: this.table,
        Item: { ...sessionKey(s.idHash), user: s.user, csrfToken: s.csrfToken, expiresAt: s.expiresAt, expiresAtS },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async findSession(idHash: string, now: number): Promise<ActiveSession | undefined> {
    const got = await this.client.send(new GetCommand({ TableName: this.table, Key: sessionKey(idHash), ConsistentRead: true }));
    const i = got.Item;
    if (!i || (i.expiresAt as number) <= now) return undefined;
    const user = await this.users.findUser(i.user as string);
    if (!user) return undefined;
    return { idHash, user: user.name, csrfToken: i.csrfToken as string, expiresAt: i.expiresAt as number, role: user.role };
  }

  async deleteSession(idHash: string): Promise<void> {
    const got = await this.client.send(new GetCommand({ TableName: this.table, Key: sessionKey(idHash), ConsistentRead: true }));
    await this.client.send(new DeleteCommand({ TableName: this.table, Key: sessionKey(idHash) }));
    if (got.Item) await this.client.send(new DeleteCommand({ TableName: this.table, Key: { pk: EXPIRY_PK, sk: expirySk(got.Item.expiresAt as number, idHash) } }));
  }

  async deleteExpired(now: number): Promise<number> {
    const expired: Item[] = [];
    await queryPages(
      this.client,
      {
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND sk <= :now',
        // `~` sorts after every hash character: an entry that expires exactly at `now` is included.
        ExpressionAttributeValues: { ':pk': EXPIRY_PK, ':now': `${String(now).padStart(PAD, '0')}#~` },
        ConsistentRead: true,
      },
      (items) => {
        expired.push(...items);
        return true;
      },
    );
    let removed = 0;
    await mapLimit(expired, 8, async (e) => {
      const res = await this.client.send(new DeleteCommand({ TableName: this.table, Key: sessionKey(e.idHash as string), ReturnValues: 'ALL_OLD' }));
      if (res.Attributes) removed++;
      await this.client.send(new DeleteCommand({ TableName: this.table, Key: { pk: EXPIRY_PK, sk: e.sk as string } }));
    });
    return removed;
  }
}

function sessionKey(idHash: string): { pk: string; sk: string } {
  return { pk: `session#${idHash}`, sk: 'session' };
}

function expirySk(expiresAt: number, idHash: string): string {
  return `${String(expiresAt).padStart(PAD, '0')}#${idHash}`;
}
