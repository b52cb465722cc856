import type { IngestCheckpoint, IngestCheckpoints } from '../../src/ports/IngestCheckpoints.js';

/**
 * {@link IngestCheckpoints} in memory, one per file and ETag.
 *
 * @example
 * const checkpoints = new InMemoryIngestCheckpoints();
 * await checkpoints.put(checkpoint);
 */
export class InMemoryIngestCheckpoints implements IngestCheckpoints {
  private readonly byKey = new Map<string, IngestCheckpoint>();

  async get(file: string, etag: string): Promise<IngestCheckpoint | undefined> {
    return structuredClone(this.byKey.get(JSON.stringify([file, etag])));
  }

  async put(checkpoint: IngestCheckpoint): Promise<void> {
    this.byKey.set(JSON.stringify([checkpoint.file, checkpoint.etag]), structuredClone(checkpoint));
  }
}
