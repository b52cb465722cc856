import { describe, expect, it } from 'vitest';
import { scoreBatches } from '../../src/app/scoreBatches.js';
import { FeatureWindows } from '../../src/core/features.js';
import { LabelFeedback } from '../../src/core/labels.js';
import { blockMargins } from '../../src/core/model/gbdt.js';
import { FEATURE_COUNT, modelVector } from '../../src/core/model/vector.js';
import { decisionWithMargin } from '../../src/core/modelDecision.js';
import type { RuleHit } from '../../src/core/rules.js';
import type { DecidedItem } from '../../src/core/records.js';
import type { Alert } from '../../src/core/views.js';
import { ModelMarginsThread } from '../../src/local/ModelMarginsThread.js';
import type { IngestBatch } from '../../src/pipeline/ingest.js';
import type { BatchCommitter, FileCheckpoint, PreparedRows } from '../../src/ports/BatchCommitter.js';
import type { ModelMargins } from '../../src/ports/ModelMargins.js';
import type { Explain } from '../../src/pipeline/score.js';
import { describeModelMarginsContract } from '../contracts/modelMarginsContract.js';
import { InlineModelMargins } from '../fakes/InlineModelMargins.js';
import { DAY, HISTORY_RULES, trainedHistory } from '../helpers/trainedHistory.js';
import { T0 } from '../helpers/transactions.js';

/** The trained history's model, and the model vectors of its rows. */
function fixture(): { model: ReturnType<typeof trainedHistory>['model']; vectors: Float64Array } {
  const { items, model } = trainedHistory();
  const features = new FeatureWindows({ labels: new LabelFeedback({ delayMs: DAY }) });
  const vectors = new Float64Array(items.length * FEATURE_COUNT);
  items.forEach(({ transaction }, i) => modelVector(transaction, features.observe(transaction), vectors.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT)));
  return { model, vectors };
}

describeModelMarginsContract('InlineModelMargins (fake)', (model) => new InlineModelMargins(model), fixture);
describeModelMarginsContract('ModelMarginsThread', (model) => new ModelMarginsThread(model.flat), fixture);

describe('ModelMarginsThread', () => {
  it('fails what is asked of a thread that could not start, with the reason', async () => {
    // Prepare: a worker whose code throws as it loads
    const { model } = trainedHistory();
    const margins = new ModelMarginsThread(model.flat, new URL('data:text/javascript,throw new Error("no trees here")'));

    // Act
    const error = await margins.margins(new Float64Array(FEATURE_COUNT), 1).then(
      () => undefined,
      (e: unknown) => e,
    );
    await margins.close();

    // Assess
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/model margins thread (failed|stopped)/);
  });
});

/** A committer that records every decision it is given; the ids it holds are those a store would answer with. */
class RecordingCommitter implements BatchCommitter {
  readonly items: DecidedItem[] = [];
  readonly checkpoints: FileCheckpoint[] = [];
  readonly ids = new Set<string>();
  async commit(items: readonly DecidedItem[], checkpoint?: FileCheckpoint): Promise<Alert[]> {
    for (const item of items) {
      this.items.push(item);
      this.ids.add(item.transaction.transactionId);
    }
    if (checkpoint) this.checkpoints.push(checkpoint);
    return [];
  }
  pending(): undefined {
    return undefined;
  }

  pendingIds(): ReadonlySet<string> {
    return new Set();
  }
}

/** The trained history as ingested batches of `size` rows. */
async function* batchesOf(size: number): AsyncGenerator<IngestBatch> {
  const { items } = trainedHistory();
  for (let i = 0; i < items.length; i += size) {
    const part = items.slice(i, i + size);
    yield {
      rows: part.map((item, k) => ({ transaction: item.transaction, row: { row: i + k + 1, line: i + k + 2 } })),
      rejections: [],
      rowsDone: i + part.length,
      bytesRead: 0,
    };
  }
}

/**
 * Scores the trained history in batches of `size` with label feedback into `commits`, margins
 * computed by `margins` (or in the loop).
 */
async function scoreHistory(
  size: number,
  options: { margins?: ModelMargins; explain?: Explain } = {},
  commits = new RecordingCommitter(),
): Promise<RecordingCommitter> {
  await scoreBatches({ id: 0, name: 'h.csv' }, batchesOf(size), {
    decided: () => commits.ids,
    commits,
    features: new FeatureWindows({ labels: new LabelFeedback({ delayMs: DAY }) }),
    rules: () => HISTORY_RULES,
    model: trainedHistory().model,
    ...options,
    now: () => new Date(T0),
    maxInFlight: 1,
  });
  return commits;
}

describe('scoreBatches with the margins computed apart', () => {
  it('decides as it does with the margins in the loop, a row repeated in the next batch while the first waits for its margins included', async () => {
    for (const size of [7, 4096]) {
      // Prepare: at 7 rows a batch, the repeated row (990, again at 1000) is in the batch after its first
      const thread = new ModelMarginsThread(trainedHistory().model.flat);

      // Act
      const inLoop = await scoreHistory(size);
      const apart = await scoreHistory(size, { margins: thread });
      const inline = await scoreHistory(size, { margins: new InlineModelMargins(trainedHistory().model) });
      await thread.close();

      // Assess
      expect(inLoop.checkpoints.reduce((n, c) => n + c.duplicates, 0)).toBe(1);
      for (const run of [apart, inline]) {
        expect(run.items).toStrictEqual(inLoop.items);
        expect(run.checkpoints).toStrictEqual(inLoop.checkpoints);
      }
    }
  });

  it('stops at the batch whose margins fail, with that error, committing none after it', async () => {
    // Prepare: the third batch's margins are lost
    const margins = new InlineModelMargins(trainedHistory().model, 3);

    // Act
    const commits = new RecordingCommitter();
    const error = await scoreHistory(100, { margins }, commits).then(
      () => undefined,
      (e: unknown) => e,
    );

    // Assess: batches 1 and 2 committed, in order, then nothing
    expect((error as Error).message).toBe('margins lost');
    expect(commits.checkpoints.map((c) => c.rowsDone)).toEqual([100, 200]);
  });

  it("computes every margin in the loop when every decision is explained ('all')", async () => {
    // Prepare
    const margins = new InlineModelMargins(trainedHistory().model);

    // Act
    const commits = await scoreHistory(500, { margins, explain: 'all' });

    // Assess
    expect(margins.calls).toBe(0);
    expect(commits.items.every((i) => i.decision.model_score !== null)).toBe(true);
  });
});

/** A committer that decides the batches it is given prepared, as the decisions-file writer's thread does. */
class DecidingCommitter extends RecordingCommitter {
  prepared = 0;
  async commitPrepared(rows: PreparedRows, checkpoint?: FileCheckpoint): Promise<Alert[]> {
    this.prepared++;
    const model = trainedHistory().model;
    const margins = new Float64Array(rows.fresh.length);
    blockMargins(model.flat, rows.matrix, FEATURE_COUNT, rows.fresh.length, margins);
    const items = rows.fresh.map((item, i) => ({
      ...item,
      decision: decisionWithMargin(item.transaction.transactionId, rows.hits[i] as RuleHit[], margins[i] as number, rows.matrix, i, rows.rules, model, rows.at),
    }));
    return this.commit(items, checkpoint);
  }
}

describe('scoreBatches with a committer that decides as it commits', () => {
  it('hands it every batch prepared, and the decisions are those made in the loop', async () => {
    for (const size of [7, 4096]) {
      // Act
      const inLoop = await scoreHistory(size);
      const deciding = new DecidingCommitter();
      await scoreHistory(size, {}, deciding);

      // Assess
      expect(deciding.prepared).toBe(Math.ceil(trainedHistory().items.length / size));
      expect(deciding.items).toStrictEqual(inLoop.items);
      expect(deciding.checkpoints).toStrictEqual(inLoop.checkpoints);
    }
  });

  it("decides in the loop when every decision is explained ('all'), or when the margins are computed apart", async () => {
    // Act
    const explained = new DecidingCommitter();
    await scoreHistory(500, { explain: 'all' }, explained);
    const apart = new DecidingCommitter();
    await scoreHistory(500, { margins: new InlineModelMargins(trainedHistory().model) }, apart);

    // Assess
    expect(explained.prepared).toBe(0);
    expect(explained.items.length).toBeGreaterThan(0);
    expect(apart.prepared).toBe(0);
    expect(apart.items.length).toBe(explained.items.length);
  });
});
