import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { DynamoRulesStore } from '../../src/adapters/aws/DynamoRulesStore.js';
import { FileRulesSource } from '../../src/adapters/local/FileRulesSource.js';
import { SqliteStateStore } from '../../src/adapters/local/SqliteStateStore.js';
import { silentLogger } from '../../src/ports/Logger.js';
import { emulatorClients, uniqueName } from '../aws/clients.js';
import { createTables } from '../aws/dynamoTables.js';
import { InMemoryRulesStore } from '../fakes/InMemoryRulesStore.js';
import { tempDir } from '../helpers/fixtures.js';
import { describeRulesStoreContract } from './rulesStoreContract.js';

const cleanups: (() => void)[] = [];
afterAll(() => {
  for (const c of cleanups) c();
});

describeRulesStoreContract('in-memory fake', async () => new InMemoryRulesStore());

describeRulesStoreContract('FileRulesSource with the SQLite audit log', async () => {
  const t = tempDir();
  const path = join(t.dir, 'rules.json');
  copyFileSync(new URL('../../rules/default.json', import.meta.url), path);
  const audit = new SqliteStateStore({ path: ':memory:' });
  cleanups.push(() => audit.close(), t.cleanup);
  return new FileRulesSource(path, silentLogger, { audit });
});

describeRulesStoreContract('DynamoRulesStore on dynalite', async () => {
  const clients = emulatorClients();
  const tables = await createTables(clients.dynamo, uniqueName('contract'));
  return new DynamoRulesStore({ client: clients.dynamo, stateTable: tables.state });
});
