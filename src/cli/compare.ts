import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { FileRulesSource } from '../adapters/local/FileRulesSource.js';
import { openShadowReader } from '../adapters/local/SqliteShadowStore.js';
import { SqliteSchemaError, SqliteStateStore } from '../adapters/local/SqliteStateStore.js';
import { rulesUseCases } from '../app/replaceRules.js';
import { compareLatestShadow, comparisonJson, type ShadowComparison } from '../app/shadowCompare.js';
import { loadConfig } from '../config.js';
import { silentLogger } from '../ports/Logger.js';
import { RulesError } from '../core/errors.js';
import { PROMOTED_MODEL } from '../local/wiring.js';
import { readShadowFiles, writeWhole } from '../local/shadowFiles.js';
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
  const out: string[] = [];
  if (files.rules) {
    const state = new SqliteStateStore({ path });
    try {
      const store = new FileRulesSource(files.rulesInForce, silentLogger, { audit: state });
      const rules = rulesUseCases(store, () => store.current());
      const { version } = await rules.replace(JSON.parse(readFileSync(files.rules.path, 'utf8')), {
        credential: PROMOTE_CREDENTIAL,
        remote: 'local',
      });
      out.push(`rules ${version} are in force (${files.rulesInForce}); a running fraudmini start picks them up now`);
    } catch (e) {
      if (e instanceof RulesError) throw new CliInputError(`${files.rules.path}: ${e.message}`);
      throw e;
    } finally {
      state.close();
    }
  }
  if (files.model) {
    const to = join(dataDir, PROMOTED_MODEL);
    writeWhole(to, readFileSync(files.model.path));
    out.push(
      `model ${files.model.version} -> ${to}: the next fraudmini start on this data dir uses it (unless it is given --model or FRAUDMINI_MODEL); restart to switch`,
    );
  }
  process.stdout.write(`promoted the challenger started ${files.startedAt}:\n${out.map((l) => `  ${l}`).join('\n')}\n`);
  return 0;
}

function databaseOf(dataDir: string): string {
  const path = join(dataDir, 'fraudmini.db');
  if (!existsSync(path)) throw new CliInputError(`no database in ${dataDir}: has fraudmini start run with this data dir?`);
  return path;
}
