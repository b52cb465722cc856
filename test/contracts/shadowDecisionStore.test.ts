import { afterAll } from 'vitest';
import { SqliteShadowStore } from '../../src/adapters/local/SqliteShadowStore.js';
import { SqliteStateStore } from '../../src/adapters/local/SqliteStateStore.js';
import { InMemoryShadowStore } from '../fakes/InMemoryShadowStore.js';
import { InMemoryStateStore } from '../fakes/InMemoryStateStore.js';
import { describeShadowDecisionStoreContract } from './shadowDecisionStoreContract.js';

const opened: SqliteStateStore[] = [];
afterAll(() => {
  for (const s of opened) s.close();
});

describeShadowDecisionStoreContract('in-memory fake', async () => {
  const state = new InMemoryStateStore();
  return { state, shadow: new InMemoryShadowStore(state) };
});

describeShadowDecisionStoreContract('SqliteShadowStore', async () => {
  const state = new SqliteStateStore({ path: ':memory:' });
  opened.push(state);
  return { state, shadow: new SqliteShadowStore({ db: state.db }) };
});
