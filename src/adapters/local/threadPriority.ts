import { getPriority, setPriority } from 'node:os';

/** How much lower a helper thread runs than the thread that started it (nice values). */
const HELPER_NICE = 5;

/**
 * Lowers the calling worker thread's scheduling priority by {@link HELPER_NICE} nice steps, for a
 * thread whose work can fall behind for a while without slowing the run: the parsing thread runs
 * ahead of scoring on credits, and the decisions-file writer works through a queue. The thread
 * that bounds the run is the scoring one; on a machine with fewer free cores than busy threads, a
 * helper woken by a message would otherwise take its core in turn. With enough cores nothing
 * changes. Only on Linux, where a nice value belongs to one thread (`setpriority` on the caller);
 * elsewhere it would lower the whole process. A refusal (a sandbox) is ignored: it is a hint.
 */
export function runBehindScoring(): void {
  if (process.platform !== 'linux') return;
  try {
    setPriority(0, Math.min(19, getPriority(0) + HELPER_NICE));
  } catch {
    // The thread keeps its priority.
  }
}
