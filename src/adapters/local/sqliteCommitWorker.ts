import { parentPort, workerData } from 'node:worker_threads';
import { SqliteStateStore } from './SqliteStateStore.js';
import type { CommitReply, CommitRequest } from './SqliteWorkerBatchCommitter.js';

/**
 * The commit worker of {@link SqliteWorkerBatchCommitter}: its own connection to the database,
 * committing encoded batches in arrival order. After a file's batch fails, that file's batches of
 * the same epoch queued behind it are refused: committing them would move its checkpoint past rows
 * that were never stored. Batches without a checkpoint (the API's) are independent of each other.
 */
const port = parentPort;
if (!port) throw new Error('sqliteCommitWorker runs as a worker thread');
const store = new SqliteStateStore({ path: (workerData as { path: string }).path });
/** File id → epoch in which one of its batches failed. */
const failed = new Map<number, number>();

port.on('message', (m: CommitRequest) => {
  if (m.kind === 'close') {
    store.close();
    port.close();
    return;
  }
  let reply: CommitReply;
  if (m.kind === 'cursor') {
    // Written before this returns (the store's work is synchronous); only the reply waits.
    store.setDeliveryCursor(m.sink, m.cursor).then(
      () => port.postMessage({ seq: m.seq, alertIds: [] } satisfies CommitReply),
      (e: unknown) => port.postMessage({ seq: m.seq, error: (e as Error).message } satisfies CommitReply),
    );
    return;
  }
  const fileId = m.checkpoint?.fileId;
  if (fileId !== undefined && failed.get(fileId) === m.epoch) {
    reply = { seq: m.seq, error: `not committed: an earlier batch of file ${fileId} failed` };
  } else {
    try {
      reply = { seq: m.seq, alertIds: store.commitEncoded(m.batch, m.checkpoint) };
    } catch (e) {
      if (fileId !== undefined) failed.set(fileId, m.epoch);
      reply = { seq: m.seq, error: (e as Error).message };
    }
  }
  port.postMessage(reply);
});
