import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { CheckpointReply, CheckpointRequest } from './SqliteWalCheckpointer.js';

/**
 * The thread of {@link SqliteWalCheckpointer}: its own connection, running a PASSIVE checkpoint
 * when asked. PASSIVE never waits for the writer, so the connection that commits keeps committing
 * while this one copies WAL frames into the database and syncs it.
 */
const port = parentPort;
if (!port) throw new Error('sqliteCheckpointWorker runs as a worker thread');
const db = new Database((workerData as { path: string }).path);
// The checkpoint's syncs follow this connection's setting: the same as the writer's (syncs the
// WAL before copying it and the database after, which is what makes resetting the WAL safe).
db.pragma('synchronous = NORMAL');

port.on('message', (m: CheckpointRequest) => {
  if (m.kind === 'close') {
    db.close();
    port.close();
    return;
  }
  let reply: CheckpointReply;
  try {
    const [r] = db.pragma('wal_checkpoint(PASSIVE)') as { busy: number; log: number; checkpointed: number }[];
    reply = { seq: m.seq, busy: r?.busy === 1, log: r?.log ?? 0, checkpointed: r?.checkpointed ?? 0 };
  } catch (e) {
    reply = { seq: m.seq, error: (e as Error).message };
  }
  port.postMessage(reply);
});
