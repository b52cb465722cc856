import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRulesFile } from '../../src/adapters/local/FileRulesSource.js';
import { scoreFile } from '../../src/cli/score.js';
import { createPanTokenizer } from '../../src/core/pan.js';
import { BUNDLED_RULES } from '../../src/local/wiring.js';
import { lines } from '../helpers/cli.js';
import { scenarioFile, tempDir } from '../helpers/fixtures.js';
import { trainedHistory } from '../helpers/trainedHistory.js';

// The receipt counts of `fraudmini score`, in process (the CLI tests run the same code as a
// child process): every row ends decided, duplicate or rejected, and the counts add up.
describe('scoreFile receipt counts', () => {
  const t = tempDir('fraudmini-scorefile-');
  const rules = loadRulesFile(BUNDLED_RULES);
  const tokenizer = createPanTokenizer('scorefile-test-key-0123456789');

  afterAll(() => t.cleanup());

  /** Writes `csv`, scores it to JSONL and returns the receipt and the decision lines. */
  async function score(name: string, csv: string) {
    const input = join(t.dir, `${name}.csv`);
    const out = join(t.dir, `${name}.jsonl`);
    writeFileSync(input, csv);
    const receipt = await scoreFile({ input, out, rules, tokenizer, progress: false });
    const decisions = lines(readFileSync(out, 'utf8')).map((l) => JSON.parse(l) as { transaction_id: string; outcome: string });
    return { receipt, decisions };
  }

  let repeated: Awaited<ReturnType<typeof score>>;

  beforeAll(async () => {
    // Prepare: 1,200 rows (3 bad, so 3 batches of 500) and 4 repeats: two ids from the first
    // batch repeated in the third, one repeated within the third, and one repeated twice.
    const base = scenarioFile(1200, 3, 21);
    const [header, ...data] = lines(base.csv);
    const again = [data[0], data[1], data[1100], data[1100]] as string[];
    // Act
    repeated = await score('repeated', `${[header, ...data, ...again].join('\n')}\n`);
  });

  it('decides each id once and counts every repeat as a duplicate', () => {
    // Assess
    expect(repeated.decisions).toHaveLength(1197);
    expect(new Set(repeated.decisions.map((d) => d.transaction_id)).size).toBe(1197);
    expect(repeated.receipt.counts).toMatchObject({
      rows: 1204,
      accepted: 1201,
      rejected: 3,
      decided: 1197,
      duplicates: 4,
    });
  });

  it('counts outcomes and alerts over the decisions written', () => {
    // Assess
    const { outcomes, alerts } = repeated.receipt.counts;
    const written = (o: string): number => repeated.decisions.filter((d) => d.outcome === o).length;
    expect(outcomes).toEqual({ allow: written('allow'), review: written('review'), block: written('block') });
    expect(outcomes.review + outcomes.block).toBeGreaterThan(0);
    expect(alerts).toBe(outcomes.review + outcomes.block);
  });

  it('lists every rejection when there are few, with none left unlisted', () => {
    // Assess
    expect(repeated.receipt.rejections).toHaveLength(3);
    expect(repeated.receipt.rejections_not_listed).toBe(0);
    expect(repeated.receipt.status).toBe('processed');
    expect(repeated.receipt.rules_version).toBe(rules.version);
  });
});

describe('scoreFile with a model, its margins on a thread of their own or not', () => {
  const t = tempDir('fraudmini-scorefile-margins-');
  afterAll(() => t.cleanup());

  it('writes the same decisions either way, a row repeated across batches still a duplicate', async () => {
    // Prepare: 1,200 rows and a repeat of the first in the last batch
    const base = scenarioFile(1200, 0, 5);
    const [header, ...data] = lines(base.csv);
    const input = join(t.dir, 'in.csv');
    writeFileSync(input, `${[header, ...data, data[0]].join('\n')}\n`);
    const key = 'scorefile-margins-key-0123456789';
    const run = async (name: string, marginsThread: boolean) => {
      const out = join(t.dir, `${name}.jsonl`);
      const receipt = await scoreFile({
        input,
        out,
        rules: loadRulesFile(BUNDLED_RULES),
        tokenizer: createPanTokenizer(key),
        parseThread: { tokenKey: Buffer.from(key), tokenCache: 1024 },
        model: trainedHistory().model,
        labelDelayMs: 86_400_000,
        progress: false,
        marginsThread,
      });
      const decisions = lines(readFileSync(out, 'utf8')).map((l) => {
        const { decided_at: _, ...rest } = JSON.parse(l) as Record<string, unknown>;
        return rest;
      });
      return { counts: receipt.counts, decisions };
    };

    // Act
    const apart = await run('apart', true);
    const inLoop = await run('in-loop', false);

    // Assess
    expect(apart.counts.duplicates).toBe(1);
    expect(apart.decisions).toHaveLength(1200);
    expect(apart.decisions.some((d) => d.model_score !== null)).toBe(true);
    expect(apart).toEqual(inLoop);
  });
});
