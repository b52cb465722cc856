import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { FileRulesSource } from '../adapters/local/FileRulesSource.js';
import { openShadowReader } from '../adapters/local/SqliteShadowStore.js';
import { SqliteSchemaError, SqliteStateStore } from '../adapters/local/SqliteStateStore.js';
import { type RulesUseCases, rulesUseCases } from '../app/replaceRules.js';
import { type Promotion, promoteShadow } from '../app/shadowPromote.js';
import { compareLatestShadow, comparisonJson, type ShadowComparison } from '../app/shadowCompare.js';
import { loadConfig } from '../config.js';
import { silentLogger } from '../ports/Logger.js';
import { RulesError } from '../core/errors.js';
import { PROMOTED_MODEL } from '../local/wiring.js';
import { readShadowFiles, storedChallenger } from '../local/shadowFiles.js';
import { CliInputError } from './history.js';
import { renderComparison } from './shadowTable.js';

/** Who `fraudmini promote` records in the rules audit log. */
export const PROMOTE_CREDENTIAL = 'fraudmini promote';

/**
 * `fraudmini compare [--data-dir DIR] [--json] [--promote]`: the shadow challenger against the
 * decisions in force, read from the data dir's database without writing to it (so it works while
 * `fraudmini start` runs). `--promote` then promotes the challenger (see {@link promoteCommand}).
 */
export async function compareCommand(args: string[], env: Record<string, string | undefined>): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { 'data-dir': { type: 'string' }, json: { type: 'boolean' }, promote: { type: 'boolean' } },
    strict: true,
    allowPositionals: false,
  });
  const dataDir = resolve(loadConfig(env, { dataDir: values['data-dir'] }).dataDir);
  const path = databaseOf(dataDir);
  let comparison: ShadowComparison;
  try {
    const reader = openShadowReader(path);
    try {
      comparison = await compareLatestShadow(reader.store);
    } finally {
      reader.close();
    }
  } catch (e) {
    if (e instanceof SqliteSchemaError) throw new CliInputError(e.message);
    throw e;
  }
  if (values.json) process.stdout.write(`${JSON.stringify(comparisonJson(comparison), null, 2)}\n`);
  else process.stdout.write(renderComparison(comparison));
  return values.promote ? promote(dataDir) : 0;
}

/**
 * `fraudmini promote [--data-dir DIR]`: makes the challenger last started in shadow the one in
 * force. Its rules replace the rules in force through the rules use case (validated, recorded in
 * the audit log, picked up live by a running `start`); its model is copied to the data dir's
 * `model.json`, which the next `start` loads when no `--model` is given.
 */
export async function promoteCommand(args: string[], env: Record<string, string | undefined>): Promise<number> {
  const { values } = parseArgs({ args, options: { 'data-dir': { type: 'string' } }, strict: true, allowPositionals: false });
  return promote(resolve(loadConfig(env, { dataDir: values['data-dir'] }).dataDir));
}

async function promote(dataDir: string): Promise<number> {
  const path = databaseOf(dataDir);
  const files = readShadowFiles(dataDir);
  if (!files) {
    throw new CliInputError(`no challenger has run on ${dataDir}: start one with fraudmini start --shadow-rules FILE and/or --shadow-model FILE`);
  }
  const state = new SqliteStateStore({ path });
  let done: Promotion | undefined;
  try {
    // The rules file in force when the challenger started: the one its promotion replaces.
    const replace: RulesUseCases['replace'] = (doc, by) => {
      const store = new FileRulesSource(files.rulesInForce, silentLogger, { audit: state });
      return rulesUseCases(store, () => store.current()).replace(doc, by);
    };
    done = await promoteShadow(
      { challenger: async () => storedChallenger(dataDir, join(dataDir, PROMOTED_MODEL)), rules: { replace } },
      { credential: PROMOTE_CREDENTIAL, remote: 'local' },
    );
  } catch (e) {
    if (e instanceof RulesError) throw new CliInputError(`${files.rules?.path ?? files.rulesInForce}: ${e.message}`);
    throw e;
  } finally {
    state.close();
  }
  if (!done) throw new CliInputError(`no challenger has run on ${dataDir}`);
  const out: string[] = [];
  if (done.rules) out.push(`rules ${done.rules.version} are in force (${files.rulesInForce}); a running fraudmini start picks them up now`);
  if (done.model) {
    out.push(
      `model ${done.model.version} -> ${done.model.path}: the next fraudmini start on this data dir uses it (unless it is given --model or FRAUDMINI_MODEL); restart to switch`,
    );
  }
  process.stdout.write(`promoted the challenger started ${done.startedAt}:\n${out.map((l) => `  ${l}`).join('\n')}\n`);
  return 0;
}

function databaseOf(dataDir: string): string {
  const path = join(dataDir, 'fraudmini.db');
  if (!existsSync(path)) throw new CliInputError(`no database in ${dataDir}: has fraudmini start run with this data dir?`);
  return path;
}
