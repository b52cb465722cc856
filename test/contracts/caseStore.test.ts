import { SqliteCaseStore } from '../../src/adapters/local/SqliteCaseStore.js';
import { SqliteStateStore } from '../../src/adapters/local/SqliteStateStore.js';
import { InMemoryCaseStore } from '../fakes/InMemoryCaseStore.js';
import { describeCaseStoreContract } from './caseStoreContract.js';

// DynamoCaseStore runs the same suite on dynalite: test/aws/dynamoCaseStore.test.ts.
describeCaseStoreContract('in memory', async () => new InMemoryCaseStore());
describeCaseStoreContract('SQLite', async () => new SqliteCaseStore({ db: new SqliteStateStore({ path: ':memory:' }).db }));
