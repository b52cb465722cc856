/**
 * A fingerprint of every decision of a `fraudmini score` run, to check that a change of the code
 * leaves the decisions as they were: the SHA-256 over all decisions with `decided_at` removed
 * (the one field that depends on the clock), sorted by transaction id. Each decision is rewritten
 * with its keys sorted first, so the key order of the output does not count, only its values.
 *
 *   npx esbuild scripts/decisionHash.ts --bundle --platform=node --format=esm --outfile=var/decisionHash.mjs
 *   node var/decisionHash.mjs [--drop-allow-features] decisions.jsonl [more.jsonl ...]
 *   node var/decisionHash.mjs --score input.csv [--model model.json] [--explain all] [--drop-allow-features]
 *                             CHECKOUT [CHECKOUT ...]
 *
 * With `--score`, each CHECKOUT (a built checkout: `npm run build` done there) scores `input.csv`
 * with its own `bin/fraudmini.js`, with the same tokenisation key and the rules of the first
 * checkout (`rules/default.json`), into `var/decision-hash/<n>.jsonl`; then each output is hashed.
 * The input is the benchmarks' bench file: the first 1,000,000 data rows of
 * `fraudmini generate --customers 20000 --days 15 --seed 42` (see bench/README.md).
 *
 * - `--model model.json`: each checkout scores with this model (`score --model`).
 * - `--explain all`: passed to each checkout whose `score` knows `--explain` (one that does not
 *   names model features on every decision anyway), so every decision names its model features.
 * - `--drop-allow-features`: `model_features` is removed from allowed decisions before hashing.
 *   A checkout that names model features only on review and block (`--explain shown`, the
 *   default) then hashes like one that names them on every decision.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';

/** The tokenisation key of every run (the benchmarks' key): card tokens then agree across runs. */
const TOKEN_KEY = 'fraudmini-bench-token-key-0123456789';

/** A JSON value rewritten with object keys in sorted order, at every depth. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) out[k] = canonical((value as Record<string, unknown>)[k]);
    return out;
  }
  return value;
}

/**
 * The fingerprint of one JSON Lines decisions file and how many decisions it holds. Each decision
 * is hashed on its own (memory stays one digest per decision); the file's hash is the SHA-256 of
 * `<transaction_id> <decision digest>\n` lines in transaction id order.
 */
export async function decisionHash(
  path: string,
  options: { dropAllowFeatures?: boolean } = {},
): Promise<{ hash: string; decisions: number }> {
  const digests: [string, string][] = [];
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Number.POSITIVE_INFINITY });
  let n = 0;
  for await (const line of lines) {
    n++;
    if (line.trim() === '') continue;
    const d = JSON.parse(line) as Record<string, unknown>;
    if (typeof d.transaction_id !== 'string') throw new Error(`${path}:${n}: no transaction_id`);
    delete d.decided_at;
    if (options.dropAllowFeatures && d.outcome === 'allow') delete d.model_features;
    digests.push([d.transaction_id, createHash('sha256').update(JSON.stringify(canonical(d))).digest('hex')]);
  }
  digests.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const all = createHash('sha256');
  for (const [id, digest] of digests) all.update(`${id} ${digest}\n`);
  return { hash: all.digest('hex'), decisions: digests.length };
}

/** How each checkout scores. */
interface ScoreOptions {
  model?: string;
  explainAll: boolean;
}

/** Whether a checkout's `score` takes `--explain` (its usage text names it). */
function knowsExplain(cli: string): boolean {
  const r = spawnSync(process.execPath, [cli, 'help'], { encoding: 'utf8' });
  return `${r.stdout}${r.stderr}`.includes('--explain');
}

/** Scores `input` with the CLI of each checkout; returns the decision files written. */
function scoreWith(input: string, checkouts: string[], options: ScoreOptions): string[] {
  const outDir = resolve('var', 'decision-hash');
  mkdirSync(outDir, { recursive: true });
  const rules = join(resolve(checkouts[0] as string), 'rules', 'default.json');
  return checkouts.map((checkout, i) => {
    const out = join(outDir, `${i}.jsonl`);
    const cli = join(resolve(checkout), 'bin', 'fraudmini.js');
    const args = [cli, 'score', resolve(input), '--out', out, '--rules', rules, '--no-progress'];
    if (options.model !== undefined) args.push('--model', resolve(options.model));
    if (options.explainAll && knowsExplain(cli)) args.push('--explain', 'all');
    process.stderr.write(`${checkout}: ${args.slice(1).join(' ')}\n`);
    const r = spawnSync(process.execPath, args, {
      env: { ...process.env, FRAUDMINI_TOKEN_KEY: TOKEN_KEY, FRAUDMINI_DATA_DIR: join(outDir, `data-${i}`) },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    if (r.status !== 0) throw new Error(`${cli} score exited with ${r.status}`);
    return out;
  });
}

const USAGE =
  'usage: decisionHash [--drop-allow-features] <decisions.jsonl>...\n' +
  '       decisionHash --score <input.csv> [--model model.json] [--explain all] [--drop-allow-features] <checkout>...\n';

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      score: { type: 'string' },
      model: { type: 'string' },
      explain: { type: 'string' },
      'drop-allow-features': { type: 'boolean' },
    },
    allowPositionals: true,
  });
  if (positionals.length === 0 || (values.explain !== undefined && values.explain !== 'all')) {
    process.stderr.write(USAGE);
    return 2;
  }
  if (values.score === undefined && (values.model !== undefined || values.explain !== undefined)) {
    process.stderr.write(`--model and --explain go with --score\n${USAGE}`);
    return 2;
  }
  const files =
    values.score !== undefined
      ? scoreWith(values.score, positionals, { model: values.model, explainAll: values.explain === 'all' })
      : positionals;
  for (const f of files) {
    const { hash, decisions } = await decisionHash(f, { dropAllowFeatures: values['drop-allow-features'] === true });
    process.stdout.write(`${hash}  ${decisions} decisions  ${f}\n`);
  }
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
