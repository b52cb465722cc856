import { SqliteReviewStore } from '../../src/adapters/local/SqliteReviewStore.js';
import { SqliteStateStore } from '../../src/adapters/local/SqliteStateStore.js';
import { describeReviewStoreContract } from './reviewStoreContract.js';

// DynamoReviewStore runs the same suite on dynalite: test/aws/dynamoReviewStore.test.ts.
describeReviewStoreContract('SQLite', async () => {
  const state = new SqliteStateStore({ path: ':memory:' });
  return {
    reviews: new SqliteReviewStore({ db: state.db }),
    store: (items) => state.commit(items),
    label: async (id, label, knownAt) => {
      await state.putLabel(id, label, knownAt);
    },
  };
});
