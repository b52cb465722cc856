import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { DecisionFileWriter } from '../../src/adapters/local/DecisionFileWriter.js';
import { ingestOnThread } from '../../src/local/IngestThread.js';
import { TEST_KEY } from '../helpers/transactions.js';

/** The built module, as the worker threads load it. */
const MODULE = new URL('../../dist/adapters/local/threadPriority.js', import.meta.url).href;

const dir = mkdtempSync(join(tmpdir(), 'fraudmini-priority-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The nice value of every thread of this process (Linux: from /proc). */
function threadNices(): number[] {
  return readdirSync('/proc/self/task').map((tid) => {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    // Fields after the command name in parentheses; the nice value is the 19th field of the line.
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  });
}

describe('runBehindScoring', () => {
  it('lowers the priority of the thread that calls it by five nice steps, and of no other thread', async () => {
    // Prepare: a worker that reads its own nice value before and after the call
    const mine = getPriority(0);
    const worker = new Worker(
      `const os = require('node:os');
       import(${JSON.stringify(MODULE)}).then(({ runBehindScoring }) => {
         const before = os.getPriority(0);
         runBehindScoring();
         require('node:worker_threads').parentPort.postMessage([before, os.getPriority(0)]);
       });`,
      { eval: true },
    );

    // Act
    const [[before, after]] = (await once(worker, 'message')) as [[number, number]];
    await worker.terminate();

    // Assess: a nice value belongs to one thread on Linux
    expect(before).toBe(mine);
    expect(after).toBe(Math.min(19, mine + 5));
    expect(getPriority(0)).toBe(mine);
  });

  it('is what the parsing thread and the decisions-file writer run at, below the scoring thread', async () => {
    // Prepare
    const mine = getPriority(0);
    const input = join(dir, 'in.csv');
    // Rows enough that the parsing thread, a batch of one at a time, waits for credits (alive) when read.
    let csv = 'transaction_id,timestamp,account_id,amount\n';
    for (let i = 0; i < 100; i++) csv += `t${i},2026-01-01T00:00:00Z,A1,1.00\n`;
    writeFileSync(input, csv);
    const behind = (): number => threadNices().filter((n) => n === Math.min(19, mine + 5)).length;
    const before = behind();

    // Act: both threads started (the parsing thread has handed over its first batch)
    const writer = new DecisionFileWriter(join(dir, 'out.jsonl'));
    const batches = ingestOnThread({ path: input, fileKey: 'in.csv', batchSize: 1, groupRows: 1, tokenKey: Buffer.from(TEST_KEY), tokenCache: 16 });
    await batches.next();
    // The writer's thread lowers itself as it starts, which may be after its constructor returns.
    let during = behind();
    for (let waited = 0; during - before < 2 && waited < 5_000; waited += 20) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      during = behind();
    }
    await batches.return(undefined);
    await writer.finish();

    // Assess
    expect(during - before).toBe(2);
  });
});
