/**
 * `npm run chaos`: SIGKILLs a real `fraudmini start` again and again while files, POSTs, labels
 * and a failing webhook are in flight, lets a last run finish, and checks that nothing was lost
 * or doubled (see docs/chaos.md). Prints a summary table; exits 1 on any violation.
 *
 *   npm run chaos -- [--kills 20] [--seed N] [--files N] [--max-rows 30000] [--posts N] [--keep] [--json]
 *
 * The seed (random unless given) fixes the workload and every random choice of the run; it is
 * printed so a failing run can be tried again with the same choices (the machine's timing still varies).
 */
import { randomInt } from 'node:crypto';
import { parseArgs } from 'node:util';
import { formatSummary } from './chaos/formatSummary.js';
import { runChaos } from './chaos/runChaos.js';

const { values } = parseArgs({
  options: {
    kills: { type: 'string', default: '20' },
    seed: { type: 'string' },
    files: { type: 'string' },
    'max-rows': { type: 'string' },
    posts: { type: 'string' },
    keep: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});

const num = (name: string, raw: string | undefined): number | undefined => {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0) {
    console.error(`chaos: --${name} must be a whole number, got "${raw}"`);
    process.exit(2);
  }
  return n;
};

const seed = num('seed', values.seed) ?? randomInt(2 ** 31);
const result = await runChaos({
  kills: num('kills', values.kills) ?? 20,
  seed,
  files: num('files', values.files),
  maxRows: num('max-rows', values['max-rows']),
  posts: num('posts', values.posts),
  keep: values.keep,
  progress: values.json ? undefined : (line) => console.log(line),
});
if (values.json) {
  const { api, ...rest } = result;
  console.log(JSON.stringify({ ...rest, api: { ...api, answers: api.answers.size, rejected: api.rejected.size, labelsSent: api.labelsSent.size, labels: api.labels.length } }, null, 2));
} else {
  console.log(formatSummary(result));
}
process.exitCode = result.violations.length > 0 ? 1 : 0;
