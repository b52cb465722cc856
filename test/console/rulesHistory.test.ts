/**
 * Every rule set put in force over `PUT /rules` joins the workbench's history of rule sets (and
 * the one it replaced), so that any of them can be rolled back to, whichever route changed it.
 */
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileRulesSource } from '../../src/adapters/local/FileRulesSource.js';
import { SqliteReviewStore } from '../../src/adapters/local/SqliteReviewStore.js';
import { SqliteRulesWorkbench } from '../../src/adapters/local/SqliteRulesWorkbench.js';
import { SqliteSessionStore } from '../../src/adapters/local/SqliteSessionStore.js';
import { SqliteStateStore } from '../../src/adapters/local/SqliteStateStore.js';
import { SqliteUserStore } from '../../src/adapters/local/SqliteUserStore.js';
import { addUser } from '../../src/app/consoleAuth.js';
import { FeatureWindows } from '../../src/core/features.js';
import { createPanTokenizer } from '../../src/core/pan.js';
import { BUNDLED_RULES, CONSOLE_ASSETS } from '../../src/local/wiring.js';
import { silentLogger } from '../../src/ports/Logger.js';
import { buildServer } from '../../src/server/buildServer.js';
import { tempDir } from '../helpers/fixtures.js';

const ADMIN_KEY = 'admin-key-'.padEnd(32, 'a');
const PASSWORD = 'a long enough password';

describe('PUT /rules and the rules history', () => {
  let cleanup: () => void;
  let state: SqliteStateStore;
  let rules: FileRulesSource;
  let app: FastifyInstance;

  beforeEach(async () => {
    let dir: string;
    ({ dir, cleanup } = tempDir());
    const rulesPath = join(dir, 'rules.json');
    copyFileSync(BUNDLED_RULES, rulesPath);
    state = new SqliteStateStore({ path: join(dir, 'fraudmini.db') });
    rules = new FileRulesSource(rulesPath, silentLogger, { audit: state });
    const users = new SqliteUserStore({ db: state.db });
    await addUser({ users }, { name: 'root', role: 'admin', password: PASSWORD });
    const workbench = new SqliteRulesWorkbench({ db: state.db });
    app = buildServer({
      decisions: state,
      labels: state,
      features: new FeatureWindows(),
      rules: () => rules.current(),
      rulesStore: rules,
      rulesHistory: workbench,
      admin: { adminKey: ADMIN_KEY },
      tokenizer: createPanTokenizer('rules-history-key-0123456789'),
      logger: silentLogger,
      console: {
        users,
        sessions: new SqliteSessionStore({ db: state.db }),
        reviews: new SqliteReviewStore({ db: state.db }),
        workbench: { history: workbench, labelled: workbench },
        assetsDir: CONSOLE_ASSETS,
      },
    });
  });

  afterEach(async () => {
    await app?.close();
    rules.close();
    state.close();
    cleanup();
  });

  /** The rule set in force under another version, with `high_value` at another threshold. */
  const variant = (version: string, threshold: number) => {
    const doc = structuredClone(rules.current().document);
    doc.version = version;
    const rule = doc.rules.find((r) => r.id === 'high_value');
    if (rule) rule.when = `amount > ${threshold}`;
    return doc;
  };

  it('keeps the rule set PUT /rules replaced and every one it put in force, so an admin can roll back to any', async () => {
    // Prepare
    const first = rules.current().version;
    const put = (doc: unknown) => app.inject({ method: 'PUT', url: '/rules', payload: doc as object, headers: { 'x-admin-key': ADMIN_KEY } });

    // Act: two replacements over the machine route, nobody looking at the history in between
    expect((await put(variant('put-1', 20_000))).statusCode).toBe(200);
    expect((await put(variant('put-2', 30_000))).statusCode).toBe(200);

    // Assess: all three in the history, newest first, the last in force
    const signIn = await app.inject({ method: 'POST', url: '/session', payload: { username: 'root', password: PASSWORD } });
    const cookie = String(signIn.headers['set-cookie']).split(';')[0] ?? '';
    const csrf = (signIn.json() as { csrf_token: string }).csrf_token;
    const listed = (await app.inject({ method: 'GET', url: '/rules/versions', headers: { cookie } })).json() as {
      versions: { id: number; version: string; active: boolean }[];
    };
    expect(listed.versions.map((v) => [v.version, v.active])).toEqual([
      ['put-2', true],
      ['put-1', false],
      [first, false],
    ]);
    const putOne = listed.versions.find((v) => v.version === 'put-1');
    const back = await app.inject({ method: 'POST', url: `/rules/versions/${putOne?.id}/activate`, headers: { cookie, 'x-csrf-token': csrf } });
    expect(back.statusCode).toBe(200);
    expect(rules.current().document.rules.find((r) => r.id === 'high_value')?.when).toBe('amount > 20000');
  });
});
