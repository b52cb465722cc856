import { execFile } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { DynamoUserStore } from '../../src/adapters/aws/DynamoUserStore.js';
import { verifyPassword } from '../../src/app/passwords.js';
import { builtBin } from '../helpers/cli.js';
import { tempDir } from '../helpers/fixtures.js';
import { emulatorClients, uniqueName } from '../aws/clients.js';
import { createTables } from '../aws/dynamoTables.js';

/** Runs `fraudmini users …` with only the FRAUDMINI_* variables given, stdin not a terminal. */
function users(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  const base: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('FRAUDMINI_')) base[k] = v;
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [builtBin(), 'users', ...args], { env: { ...base, ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
    child.stdin?.end();
  });
}

describe('fraudmini users add', () => {
  let dir: string;
  let cleanup: () => void;

  beforeEach(() => {
    ({ dir, cleanup } = tempDir());
  });
  afterEach(() => cleanup());

  const stored = () => {
    const db = new Database(join(dir, 'fraudmini.db'), { readonly: true });
    try {
      return db.prepare('SELECT name, role, password_hash FROM users ORDER BY name').all() as { name: string; role: string; password_hash: string }[];
    } finally {
      db.close();
    }
  };

  it('adds a user with the password from FRAUDMINI_PASSWORD, stored only as its scrypt hash, then updates the role', async () => {
    // Act
    const added = await users(['add', 'ana', '--role', 'analyst', '--data-dir', dir], { FRAUDMINI_PASSWORD: 'first password' });
    const updated = await users(['add', 'ana', '--role', 'admin', '--data-dir', dir], { FRAUDMINI_PASSWORD: 'second password' });

    // Assess
    expect(added).toMatchObject({ code: 0 });
    expect(added.stdout).toContain('added ana (analyst)');
    expect(updated.stdout).toContain('updated ana (admin)');
    const [ana] = stored();
    expect(ana).toMatchObject({ name: 'ana', role: 'admin' });
    expect(ana?.password_hash).toMatch(/^scrypt\$/);
    expect(await verifyPassword('second password', ana?.password_hash ?? '')).toBe(true);
  });

  it('refuses an empty password, a missing one off a terminal, and an unknown role, with exit code 2 and a reason', async () => {
    // Act
    const empty = await users(['add', 'ana', '--role', 'analyst', '--data-dir', dir], { FRAUDMINI_PASSWORD: '' });
    const none = await users(['add', 'ana', '--role', 'analyst', '--data-dir', dir], {});
    const role = await users(['add', 'ana', '--role', 'root', '--data-dir', dir], { FRAUDMINI_PASSWORD: 'long enough pw' });

    // Assess
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('the password is empty');
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('set FRAUDMINI_PASSWORD');
    expect(role.code).toBe(2);
    expect(role.stderr).toContain('role must be analyst or admin');
  });
});

describe('fraudmini users add --aws-table', () => {
  it('adds a user to a deployment\'s state table on DynamoDB, where the console on AWS finds it', async () => {
    // Prepare
    const clients = emulatorClients();
    const tables = await createTables(clients.dynamo, uniqueName('users-cli'));
    const aws = { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', FRAUDMINI_PASSWORD: 'a long password' };
    const endpoint = inject('aws').dynamodb;

    // Act
    const added = await users(['add', 'ana', '--role', 'admin', '--aws-table', tables.state, '--endpoint', endpoint], aws);
    const both = await users(['add', 'ana', '--role', 'admin', '--aws-table', tables.state, '--data-dir', '/tmp/x'], aws);
    const found = await new DynamoUserStore({ client: clients.dynamo, stateTable: tables.state }).findUser('ana');

    // Assess
    expect(added).toMatchObject({ code: 0 });
    expect(added.stdout).toContain(`added ana (admin) in DynamoDB table ${tables.state}`);
    expect(found?.role).toBe('admin');
    expect(await verifyPassword('a long password', found?.passwordHash ?? '')).toBe(true);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--data-dir or --aws-table, not both');
  });
});
