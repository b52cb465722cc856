import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteCaseStore } from '../../src/adapters/local/SqliteCaseStore.js';
import { SCHEMA_VERSION, SqliteStateStore } from '../../src/adapters/local/SqliteStateStore.js';
import { tempDir } from '../helpers/fixtures.js';

describe('SqliteCaseStore schema', () => {
  let cleanup = () => {};
  afterEach(() => cleanup());

  it(`upgrades a version 5 database to ${SCHEMA_VERSION}: adds the case tables and keeps the data`, async () => {
    // Prepare: a current database with the case tables removed and the version put back to 5
    const made = tempDir();
    cleanup = made.cleanup;
    const path = join(made.dir, 'fraudmini.db');
    let state = new SqliteStateStore({ path });
    await state.setDeliveryCursor('webhook', 9);
    state.close();
    const old = new Database(path);
    for (const table of ['cases', 'case_alerts', 'alert_assignments', 'case_audit']) old.exec(`DROP TABLE ${table}`);
    old.pragma('user_version = 5');
    old.close();

    // Act
    state = new SqliteStateStore({ path });
    const cases = new SqliteCaseStore({ db: state.db });
    const created = await cases.createCase({ subject: { kind: 'account', value: 'A1' }, user: 'ana', at: '2026-03-01T10:00:00.000Z', alertId: 1 });

    // Assess
    expect(state.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(await state.deliveryCursor('webhook')).toBe(9);
    expect(created).toMatchObject({ created: true, case: { id: 1, alertIds: [1] } });
    state.close();
  });
});
