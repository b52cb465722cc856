import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { scoreBatches } from '../../src/app/scoreBatches.js';
import { FeatureWindows } from '../../src/core/features.js';
import { createPanTokenizer } from '../../src/core/pan.js';
import type { DecidedItem } from '../../src/core/records.js';
import { compileRuleSet } from '../../src/core/rules.js';
import type { Alert } from '../../src/core/views.js';
import { type IngestBatch, ingestCsv } from '../../src/pipeline/ingest.js';
import type { BatchCommitter, FileCheckpoint } from '../../src/ports/BatchCommitter.js';
import { scenarioFile } from '../helpers/fixtures.js';

const RULES = compileRuleSet(JSON.parse(readFileSync(new URL('../../rules/default.json', import.meta.url), 'utf8')));
const TOKENIZER = createPanTokenizer('score-batches-test-key-0123456789');

/** A committer that records what it is given, and can fail a chosen batch (counted from 1). */
class RecordingCommitter implements BatchCommitter {
  readonly batches: { ids: string[]; checkpoint?: FileCheckpoint }[] = [];
  constructor(private readonly failAt?: number) {}

  async commit(items: readonly DecidedItem[], checkpoint?: FileCheckpoint): Promise<Alert[]> {
    this.batches.push({ ids: items.map((i) => i.transaction.transactionId), checkpoint });
    if (this.batches.length === this.failAt) throw new Error('disk full');
    return [];
  }

  pending(): undefined {
    return undefined;
  }

  pendingIds(): ReadonlySet<string> {
    return new Set();
  }
}

function batchesOf(csv: string, batchSize: number): AsyncIterable<IngestBatch> {
  return ingestCsv(Readable.from([csv]), { fileKey: 'f.csv', tokenizer: TOKENIZER, batchSize });
}

describe('scoreBatches, the file-scoring loop of the inbox and the CLI', () => {
  it('commits every batch with its checkpoint, and a row decided earlier is a duplicate, not a decision', async () => {
    // Prepare: the first two rows already decided elsewhere; rows per batch that do not divide the file.
    const f = scenarioFile(50, 2);
    const all = (await collect(batchesOf(f.csv, 7))).flatMap((b) => b.rows.map((r) => r.transaction.transactionId));
    const before = new Set(all.slice(0, 2));
    const commits = new RecordingCommitter();
    const committed: number[] = [];

    // Act
    await scoreBatches({ id: 9, name: 'f.csv' }, batchesOf(f.csv, 7), {
      // answers from the ids it is asked about, as a store does
      decided: (ids) => new Set(ids.filter((id) => before.has(id))),
      commits,
      features: new FeatureWindows(),
      rules: () => RULES,
      onCommitted: (progress) => {
        committed.push(progress.rowsDone);
        // How far the file got, not the batch: its rows are not kept until the commit.
        expect(Object.keys(progress).sort()).toEqual(['bytesRead', 'rowsDone']);
      },
    });

    // Assess
    const ids = commits.batches.flatMap((b) => b.ids);
    expect(ids).toEqual(all.slice(2));
    expect(commits.batches.reduce((n, b) => n + (b.checkpoint?.duplicates ?? 0), 0)).toBe(2);
    expect(commits.batches.reduce((n, b) => n + (b.checkpoint?.rejections.length ?? 0), 0)).toBe(2);
    expect(commits.batches.every((b) => b.checkpoint?.fileId === 9)).toBe(true);
    expect(committed.at(-1)).toBe(50);
    expect(committed).toEqual([...committed].sort((a, b) => a - b));
  });

  it('stops at the first batch that fails to commit and raises its error once the batches in flight settle', async () => {
    // Prepare
    const f = scenarioFile(100, 0);
    const commits = new RecordingCommitter(2);
    const committed: number[] = [];

    // Act
    const run = scoreBatches({ id: 1, name: 'f.csv' }, batchesOf(f.csv, 10), {
      decided: () => new Set<string>(),
      commits,
      features: new FeatureWindows(),
      rules: () => RULES,
      maxInFlight: 2,
      onCommitted: (batch) => committed.push(batch.rowsDone),
    });

    // Assess: batch 2 failed; at most the batch in flight behind it was handed over, none after.
    // (the error itself: `rejects.toThrow` also passes when the rejection value is undefined)
    const error = await run.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe('disk full');
    expect(commits.batches.length).toBeGreaterThanOrEqual(2);
    expect(commits.batches.length).toBeLessThanOrEqual(3);
    expect(committed[0]).toBe(10);
    expect(committed).not.toContain(20);
  });

  it('attributes each decision to its file, row and line', async () => {
    // Prepare
    const f = scenarioFile(20, 0);
    const items: DecidedItem[] = [];
    const commits = new RecordingCommitter();
    commits.commit = async (batch) => {
      items.push(...batch);
      return [];
    };

    // Act
    await scoreBatches({ id: 2, name: 'named.csv' }, batchesOf(f.csv, 6), {
      decided: () => new Set<string>(),
      commits,
      features: new FeatureWindows(),
      rules: () => RULES,
    });

    // Assess: data rows start at line 2, after the header.
    expect(items.map((i) => i.source)).toEqual(Array.from({ length: 20 }, (_, r) => ({ row: r + 1, line: r + 2, file: 'named.csv' })));
  });

  it('never has more than maxInFlight batches at a committer that has not finished them, two by default', async () => {
    for (const [maxInFlight, bound] of [[undefined, 2], [1, 1], [3, 3]] as const) {
      // Prepare: commits that finish only when released, one at a time.
      const f = scenarioFile(100, 0);
      let outstanding = 0;
      let most = 0;
      const release: (() => void)[] = [];
      const commits = new RecordingCommitter();
      commits.commit = () => {
        most = Math.max(most, ++outstanding);
        return new Promise<Alert[]>((done) =>
          release.push(() => {
            outstanding--;
            done([]);
          }),
        );
      };
      const releaser = setInterval(() => release.shift()?.(), 2);

      // Act
      await scoreBatches({ id: 1, name: 'f.csv' }, batchesOf(f.csv, 10), {
        decided: () => new Set<string>(),
        commits,
        features: new FeatureWindows(),
        rules: () => RULES,
        maxInFlight,
      }).finally(() => clearInterval(releaser));

      // Assess
      expect(most).toBeGreaterThan(0);
      expect(most).toBeLessThanOrEqual(bound);
    }
  });

  it('raises an error of the file itself only once the batch in flight has settled', async () => {
    // Prepare: the second batch cannot be read; the first one's commit is slow.
    async function* broken(): AsyncIterable<IngestBatch> {
      yield* (await collect(batchesOf(scenarioFile(10, 0).csv, 10))).slice(0, 1);
      throw new Error('unreadable');
    }
    let settled = false;
    const commits = new RecordingCommitter();
    commits.commit = async () => {
      await new Promise((r) => setTimeout(r, 30));
      settled = true;
      return [];
    };

    // Act
    const error = await scoreBatches({ id: 1, name: 'f.csv' }, broken(), {
      decided: () => new Set<string>(),
      commits,
      features: new FeatureWindows(),
      rules: () => RULES,
      maxInFlight: 4,
    }).catch((e: unknown) => e);

    // Assess
    expect((error as Error).message).toBe('unreadable');
    expect(settled).toBe(true);
  });
});

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const i of items) out.push(i);
  return out;
}
