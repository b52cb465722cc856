import { SqliteRulesWorkbench } from '../../src/adapters/local/SqliteRulesWorkbench.js';
import { SqliteStateStore } from '../../src/adapters/local/SqliteStateStore.js';
import { describeLabelledHistoryContract, describeRulesHistoryContract } from './rulesWorkbenchContract.js';

// The DynamoDB adapters run the same suites on dynalite: test/aws/dynamoRulesWorkbench.test.ts.
describeRulesHistoryContract('SQLite', async () => new SqliteRulesWorkbench({ db: new SqliteStateStore({ path: ':memory:' }).db }));

describeLabelledHistoryContract('SQLite', async () => {
  const state = new SqliteStateStore({ path: ':memory:' });
  return {
    labelled: new SqliteRulesWorkbench({ db: state.db }),
    store: async (items) => {
      await state.commit(items);
    },
    label: async (id, label, knownAt) => {
      await state.putLabel(id, label, knownAt);
    },
  };
});
