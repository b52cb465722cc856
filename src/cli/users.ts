import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { SqliteSchemaError, SqliteStateStore } from '../adapters/local/SqliteStateStore.js';
import { SqliteUserStore } from '../adapters/local/SqliteUserStore.js';
import { createAwsClients } from '../adapters/aws/clients.js';
import { DynamoUserStore } from '../adapters/aws/DynamoUserStore.js';
import { addUser } from '../app/consoleAuth.js';
import { loadConfig } from '../config.js';
import { CliInputError } from './history.js';

/**
 * `fraudmini users add NAME --role analyst|admin [--data-dir DIR]`: adds a console user to the
 * data dir's database, or sets a new role and password for an existing one. The password comes
 * from `FRAUDMINI_PASSWORD`, or is asked for (not echoed) when stdin is a terminal; never from a
 * flag, which other users of the machine could read in the process list.
 *
 * With `--aws-table NAME [--region R] [--endpoint URL]` the user goes to a deployment's state
 * table on DynamoDB instead (the `ConsoleStateTable` output of `-c console=true`), with the
 * credentials of the shell: a flag rather than an environment switch, so the target is named on
 * the command line and a data dir is never written by mistake.
 */
export async function usersCommand(args: string[], env: Record<string, string | undefined>): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'add') throw new CliInputError(`unknown users command "${sub ?? ''}"; try: fraudmini users add NAME --role analyst|admin`);
  const { values, positionals } = parseArgs({
    args: rest,
    options: {
      role: { type: 'string' },
      'data-dir': { type: 'string' },
      'aws-table': { type: 'string' },
      region: { type: 'string' },
      endpoint: { type: 'string' },
    },
    strict: true,
    allowPositionals: true,
  });
  const [name, ...extra] = positionals;
  if (name === undefined) throw new CliInputError('users add needs a name: fraudmini users add NAME --role analyst|admin');
  if (extra.length > 0) throw new CliInputError(`users add takes one name, got also: ${extra.join(' ')}`);
  if (values.role === undefined) throw new CliInputError('users add needs --role analyst or --role admin');
  const password = env.FRAUDMINI_PASSWORD ?? (process.stdin.isTTY ? await promptHidden(`password for ${name}: `) : undefined);
  if (password === undefined) {
    throw new CliInputError('no password: set FRAUDMINI_PASSWORD, or run on a terminal to be asked for one');
  }
  const table = values['aws-table'];
  if (table !== undefined) {
    if (values['data-dir'] !== undefined) throw new CliInputError('give --data-dir or --aws-table, not both');
    if (table === '') throw new CliInputError('--aws-table needs the name of the state table (output ConsoleStateTable)');
    const region = values.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? (values.endpoint ? 'us-east-1' : undefined);
    const clients = createAwsClients({ ...(region ? { region } : {}), ...(values.endpoint ? { dynamodbEndpoint: values.endpoint } : {}) });
    const created = await addUser({ users: new DynamoUserStore({ client: clients.dynamo, stateTable: table }) }, { name, role: values.role, password });
    process.stdout.write(`${created ? 'added' : 'updated'} ${name} (${values.role}) in DynamoDB table ${table}\n`);
    return 0;
  }
  if (values.region !== undefined || values.endpoint !== undefined) throw new CliInputError('--region and --endpoint go with --aws-table');
  const dataDir = resolve(loadConfig(env, { dataDir: values['data-dir'] }).dataDir);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  let state: SqliteStateStore;
  try {
    state = new SqliteStateStore({ path: join(dataDir, 'fraudmini.db') });
  } catch (e) {
    if (e instanceof SqliteSchemaError) throw new CliInputError(e.message);
    throw e;
  }
  try {
    const created = await addUser({ users: new SqliteUserStore({ db: state.db }) }, { name, role: values.role, password });
    process.stdout.write(`${created ? 'added' : 'updated'} ${name} (${values.role}) in ${join(dataDir, 'fraudmini.db')}\n`);
  } finally {
    state.close();
  }
  return 0;
}

/** Reads a line from the terminal without echoing it. */
function promptHidden(question: string): Promise<string> {
  return new Promise((done, fail) => {
    const stdin = process.stdin;
    process.stderr.write(question);
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding('utf8');
    let typed = '';
    const finish = (result: string | Error): void => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      if (result instanceof Error) fail(result);
      else done(result);
    };
    const onData = (chunk: string): void => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return finish(typed);
        if (ch === '\u0003') return finish(new CliInputError('cancelled'));
        if (ch === '\u007f' || ch === '\b') typed = typed.slice(0, -1);
        else typed += ch;
      }
    };
    stdin.on('data', onData);
  });
}
