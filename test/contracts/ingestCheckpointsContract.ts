import { describe, expect, it } from 'vitest';
import type { IngestCheckpoint, IngestCheckpoints } from '../../src/ports/IngestCheckpoints.js';
import { uniquePrefix } from './items.js';

function checkpoint(file: string, etag: string, rowsDone: number, rejected: number): IngestCheckpoint {
  const rejections = Array.from({ length: rejected }, (_, i) => ({ row: i * 3 + 1, line: i * 3 + 2, column: 'amount', reason: `row ${i}: is not a number` }));
  return {
    file,
    etag,
    status: 'ingesting',
    rowsDone,
    counts: { rows: rowsDone, accepted: rowsDone - rejected, rejected },
    messages: Math.ceil(rowsDone / 100),
    rejections,
    startedAt: '2026-03-01T10:00:00.000Z',
  };
}

/**
 * The behaviour every {@link IngestCheckpoints} promises: one checkpoint per file and ETag, the
 * last one put. `makeStore` returns a new store on each call.
 *
 * @example
 * describeIngestCheckpointsContract('InMemoryIngestCheckpoints', async () => new InMemoryIngestCheckpoints());
 */
export function describeIngestCheckpointsContract(name: string, makeStore: () => Promise<IngestCheckpoints>): void {
  describe(`IngestCheckpoints contract: ${name}`, () => {
    it('gives back the checkpoint put last, with its rejections in order', async () => {
      // Prepare
      const store = await makeStore();
      const file = `raw/inbox/${uniquePrefix('a')}.csv`;
      // Act
      const none = await store.get(file, '"e1"');
      await store.put(checkpoint(file, '"e1"', 100, 2));
      await store.put(checkpoint(file, '"e1"', 500, 40));
      // Assess
      expect(none).toBeUndefined();
      expect(await store.get(file, '"e1"')).toEqual(checkpoint(file, '"e1"', 500, 40));
    });

    it('keeps the checkpoints of two uploads under one key apart, by ETag', async () => {
      // Prepare
      const store = await makeStore();
      const file = `raw/inbox/${uniquePrefix('b')}.csv`;
      const done: IngestCheckpoint = { ...checkpoint(file, '"old"', 10, 1), status: 'failed', error: 'the header cannot be read' };
      // Act
      await store.put(done);
      await store.put(checkpoint(file, '"new"', 3, 0));
      // Assess
      expect(await store.get(file, '"old"')).toEqual(done);
      expect(await store.get(file, '"new"')).toEqual(checkpoint(file, '"new"', 3, 0));
      expect(await store.get(`${file}.other`, '"new"')).toBeUndefined();
    });
  });
}
