import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileRulesSource } from '../../src/adapters/local/FileRulesSource.js';
import { SqliteStateStore } from '../../src/adapters/local/SqliteStateStore.js';
import { BUNDLED_RULES } from '../../src/local/wiring.js';
import { silentLogger } from '../../src/ports/Logger.js';
import { lines, runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/fixtures.js';

const ADMIN = { credential: 'admin-key sha256:0badf00d', remote: '192.0.2.44' };

describe('fraudmini rules audit', () => {
  let cleanup = (): void => {};
  afterEach(() => cleanup());

  /** A data dir whose rules were set at start and then replaced twice over the API. */
  function dataDir(): string {
    const t = tempDir();
    cleanup = t.cleanup;
    copyFileSync(BUNDLED_RULES, join(t.dir, 'rules.json'));
    const state = new SqliteStateStore({ path: join(t.dir, 'fraudmini.db') });
    const rules = new FileRulesSource(join(t.dir, 'rules.json'), silentLogger, { audit: state });
    for (const version of ['ops-1', 'ops-2']) {
      rules.replace({ version, rules: [{ id: 'high_value', when: 'amount > 10000', weight: 60 }] }, ADMIN);
    }
    rules.close();
    state.close();
    return t.dir;
  }

  it('prints the changes newest first: when, who, from where, before and after', async () => {
    // Prepare
    const dir = dataDir();

    // Act
    const run = await runCli(['rules', 'audit', '--data-dir', dir], dir);

    // Assess
    expect(run.code).toBe(0);
    const rows = lines(run.stdout).slice(2);
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatch(/^\d{4}-\d\d-\d\dT.*admin-key sha256:0badf00d\s+192\.0\.2\.44\s+ops-1\s+ops-2\s+[0-9a-f]{12}$/);
    expect(rows[2]).toMatch(/rules file\s+-\s+-\s+default-1\s+[0-9a-f]{12}$/);
  });

  it('prints JSON with --json and honours --limit', async () => {
    // Prepare
    const dir = dataDir();

    // Act
    const run = await runCli(['rules', 'audit', '--data-dir', dir, '--json', '--limit', '2'], dir);

    // Assess
    expect(run.code).toBe(0);
    const changes = JSON.parse(run.stdout) as { version: string; previous_version: string | null }[];
    expect(changes.map((c) => [c.previous_version, c.version])).toEqual([
      ['ops-1', 'ops-2'],
      ['default-1', 'ops-1'],
    ]);
  });

  it('says so, with exit code 2, when the data dir has no database', async () => {
    // Prepare
    const t = tempDir();
    cleanup = t.cleanup;

    // Act
    const run = await runCli(['rules', 'audit', '--data-dir', join(t.dir, 'nothing-here')], t.dir);

    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('no database');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
