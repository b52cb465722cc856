import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { readRulesChanges, SqliteSchemaError } from '../adapters/local/SqliteStateStore.js';
import { loadConfig } from '../config.js';
import { CliInputError } from './history.js';
import { table } from './table.js';

/**
 * `fraudmini rules audit [--data-dir DIR] [--limit 20] [--json]`: the audit log of rule changes
 * kept in the data dir's database, newest first. Reads the database without writing to it, so it
 * works while `fraudmini start` runs, and needs no admin key: whoever can read the data dir can
 * read the database anyway.
 */
export async function rulesCommand(args: string[], env: Record<string, string | undefined>): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'audit') throw new CliInputError(`unknown rules command "${sub ?? ''}"; try: fraudmini rules audit`);
  const { values } = parseArgs({
    args: rest,
    options: {
      'data-dir': { type: 'string' },
      limit: { type: 'string' },
      json: { type: 'boolean' },
    },
    strict: true,
    allowPositionals: false,
  });
  const limit = Number(values.limit ?? '20');
  if (!Number.isInteger(limit) || limit < 1) throw new CliInputError(`--limit must be a positive integer, got "${values.limit ?? ''}"`);
  const dataDir = resolve(loadConfig(env, { dataDir: values['data-dir'] }).dataDir);
  const path = join(dataDir, 'fraudmini.db');
  if (!existsSync(path)) throw new CliInputError(`no database in ${dataDir}: has fraudmini start run with this data dir?`);
  let changes;
  try {
    changes = readRulesChanges(path, limit);
  } catch (e) {
    if (e instanceof SqliteSchemaError) throw new CliInputError(e.message);
    throw e;
  }
  if (values.json) {
    const out = changes.map((c) => ({
      at: c.at,
      credential: c.credential,
      remote: c.remote,
      previous_version: c.previousVersion,
      version: c.version,
      digest: c.digest,
    }));
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    return 0;
  }
  if (changes.length === 0) {
    process.stdout.write('no rule changes recorded\n');
    return 0;
  }
  process.stdout.write(
    `${table(
      ['at', 'credential', 'remote', 'before', 'after', 'digest'],
      changes.map((c) => [c.at, c.credential, c.remote ?? '-', c.previousVersion ?? '-', c.version, c.digest.slice(0, 12)]),
    )}\n`,
  );
  return 0;
}
