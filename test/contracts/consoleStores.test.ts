import { SqliteSessionStore } from '../../src/adapters/local/SqliteSessionStore.js';
import { SqliteStateStore } from '../../src/adapters/local/SqliteStateStore.js';
import { SqliteUserStore } from '../../src/adapters/local/SqliteUserStore.js';
import { InMemorySessionStore } from '../fakes/InMemorySessionStore.js';
import { InMemoryUserStore } from '../fakes/InMemoryUserStore.js';
import { describeConsoleStoresContract } from './consoleStoresContract.js';

describeConsoleStoresContract('in memory', async () => {
  const users = new InMemoryUserStore();
  return { users, sessions: new InMemorySessionStore(users) };
});

describeConsoleStoresContract('SQLite', async () => {
  const { db } = new SqliteStateStore({ path: ':memory:' });
  return { users: new SqliteUserStore({ db }), sessions: new SqliteSessionStore({ db }) };
});
