import { GetCommand, type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Role, StoredUser, UserStore } from '../../ports/UserStore.js';
import { defaultDocumentClient } from './DynamoSupport.js';

/** Options of {@link DynamoUserStore}. */
export interface DynamoUserStoreOptions {
  client?: DynamoDBDocumentClient;
  /** Physical name of the `state` table. */
  stateTable: string;
}

/** The state-table key of a console user. */
export function userKey(name: string): { pk: string; sk: string } {
  return { pk: `user#${name}`, sk: 'user' };
}

/**
 * The console's users on the state table, one item per user (`pk=user#<name>, sk=user`) holding
 * the role and the password's KDF hash, never the password. Adding a user that exists replaces
 * its role and hash and keeps its creation time, in one conditional-free update.
 *
 * @example
 * const users = new DynamoUserStore({ client: clients.dynamo, stateTable });
 * await addUser({ users }, { name: 'ana', role: 'analyst', password });
 */
export class DynamoUserStore implements UserStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly table: string;

  constructor(options: DynamoUserStoreOptions) {
    this.client = options.client ?? defaultDocumentClient();
    this.table = options.stateTable;
  }

  async putUser(user: StoredUser): Promise<boolean> {
    const res = await this.client.send(
      new UpdateCommand({
        TableName: this.table,
        Key: userKey(user.name),
        UpdateExpression: 'SET #name = :name, #role = :role, passwordHash = :hash, createdAt = if_not_exists(createdAt, :at)',
        ExpressionAttributeNames: { '#name': 'name', '#role': 'role' },
        ExpressionAttributeValues: { ':name': user.name, ':role': user.role, ':hash': user.passwordHash, ':at': user.createdAt },
        ReturnValues: 'UPDATED_OLD',
      }),
    );
    // An existing user had a name before this update; a new one had no attribute to return.
    return res.Attributes?.name === undefined;
  }

  async findUser(name: string): Promise<StoredUser | undefined> {
    const got = await this.client.send(new GetCommand({ TableName: this.table, Key: userKey(name), ConsistentRead: true }));
    const i = got.Item;
    if (!i) return undefined;
    return { name: i.name as string, role: i.role as Role, passwordHash: i.passwordHash as string, createdAt: i.createdAt as string };
  }
}
