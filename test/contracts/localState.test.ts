import { join } from 'node:path';
import { afterAll } from 'vitest';
import { SqliteStateStore } from '../../src/adapters/local/SqliteStateStore.js';
import { SqliteWorkerBatchCommitter } from '../../src/adapters/local/SqliteWorkerBatchCommitter.js';
import { InMemoryStateStore } from '../fakes/InMemoryStateStore.js';
import { tempDir } from '../helpers/fixtures.js';
import { describeAlertOutboxContract } from './alertOutboxContract.js';
import { describeBatchCommitterContract } from './batchCommitterContract.js';
import { describeFileLedgerContract } from './fileLedgerContract.js';
import { describeRulesAuditLogContract } from './rulesAuditLogContract.js';

// The ports only the local runtime has (DynamoDB has no multi-item transaction for a batch and its
// checkpoint, and the AWS runtime keeps no file ledger, outbox or separate audit log).

const cleanups: (() => void | Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

const sqlite = (): SqliteStateStore => {
  const s = new SqliteStateStore({ path: ':memory:' });
  cleanups.push(() => s.close());
  return s;
};

describeFileLedgerContract('in-memory fake', async () => new InMemoryStateStore());
describeFileLedgerContract('SqliteStateStore', async () => sqlite());

describeBatchCommitterContract('in-memory fake', async () => {
  const s = new InMemoryStateStore();
  return { commits: s, decisions: s, ledger: s };
});
describeBatchCommitterContract('SqliteStateStore', async () => {
  const s = sqlite();
  return { commits: s, decisions: s, ledger: s };
});
describeBatchCommitterContract('SqliteWorkerBatchCommitter', async () => {
  const t = tempDir();
  const path = join(t.dir, 'state.db');
  const s = new SqliteStateStore({ path });
  const commits = new SqliteWorkerBatchCommitter({ path });
  cleanups.push(async () => {
    await commits.close();
    s.close();
    t.cleanup();
  });
  return { commits, decisions: s, ledger: s, close: () => commits.close() };
});

describeAlertOutboxContract('in-memory fake', async () => {
  const s = new InMemoryStateStore();
  return { outbox: s, decisions: s };
});
describeAlertOutboxContract('SqliteStateStore', async () => {
  const s = sqlite();
  return { outbox: s, decisions: s };
});

describeRulesAuditLogContract('in-memory fake', async () => new InMemoryStateStore());
describeRulesAuditLogContract('SqliteStateStore', async () => sqlite());
