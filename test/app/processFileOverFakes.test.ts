import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FeatureWindows } from '../../src/core/features.js';
import { createPanTokenizer } from '../../src/core/pan.js';
import { compileRuleSet } from '../../src/core/rules.js';
import { claimFile, type FileProcessorDeps, processFile } from '../../src/app/processFile.js';
import { silentLogger } from '../../src/ports/Logger.js';
import { InMemoryObjectStore } from '../fakes/InMemoryObjectStore.js';
import { InMemoryStateStore } from '../fakes/InMemoryStateStore.js';
import { scenarioFile } from '../helpers/fixtures.js';

const RULES = compileRuleSet(JSON.parse(readFileSync(new URL('../../rules/default.json', import.meta.url), 'utf8')));

/** processFile over the in-memory ports: no SQLite, no folder. */
function setup(): { deps: FileProcessorDeps; state: InMemoryStateStore; objects: InMemoryObjectStore } {
  const state = new InMemoryStateStore();
  const objects = new InMemoryObjectStore();
  const deps: FileProcessorDeps = {
    objects,
    decisions: state,
    ledger: state,
    commits: state,
    features: new FeatureWindows(),
    rules: () => RULES,
    tokenizer: createPanTokenizer('fakes-test-key-0123456789'),
    batchSize: 250,
    logger: silentLogger,
  };
  return { deps, state, objects };
}

describe('processFile over the in-memory ports', () => {
  it('decides every valid row once, rejects the bad ones, and writes a receipt whose counts add up', async () => {
    // Prepare
    const { deps, state, objects } = setup();
    const f = scenarioFile(1200, 3);
    await objects.write('inbox/tx.csv', f.csv);
    const file = await claimFile('inbox/tx.csv', deps);

    // Act
    const receipt = await processFile(file, deps);

    // Assess
    expect(receipt.counts).toMatchObject({ rows: 1200, accepted: 1197, rejected: 3, decided: 1197 });
    expect(receipt.rejections.map((r) => r.row)).toEqual(f.badRows);
    expect((await state.stats()).decisions).toBe(1197);
    expect(JSON.parse(await text(objects, 'processed/tx.receipt.json')).counts).toEqual(receipt.counts);
    expect(await objects.list('inbox/')).toEqual([]);
    expect(await objects.list('processing/')).toEqual([]);
    expect(await state.unfinishedFiles()).toEqual([]);
  });

  it('resumes after a crash between batches without a second decision for any row', async () => {
    // Prepare: a run that stops once two batches are committed
    const { deps, state, objects } = setup();
    const f = scenarioFile(1000, 2);
    await objects.write('inbox/tx.csv', f.csv);
    const file = await claimFile('inbox/tx.csv', deps);
    let batches = 0;
    await expect(
      processFile(file, {
        ...deps,
        onProgress: () => {
          if (++batches === 2) throw new Error('simulated crash');
        },
      }),
    ).rejects.toThrow('simulated crash');
    const [unfinished] = await state.unfinishedFiles();

    // Act: a restart takes the file up from its checkpoint, with fresh feature state
    const receipt = await processFile(unfinished ?? file, { ...deps, features: new FeatureWindows() });

    // Assess
    expect(unfinished?.rowsDone).toBeGreaterThan(0);
    expect(receipt.counts).toMatchObject({ rows: 1000, rejected: 2, decided: 998, duplicates: 0 });
    expect((await state.stats()).decisions).toBe(998);
  });
});

/** An object's content as text. */
async function text(objects: InMemoryObjectStore, key: string): Promise<string> {
  const parts: Buffer[] = [];
  for await (const c of objects.read(key)) parts.push(c);
  return Buffer.concat(parts).toString('utf8');
}
