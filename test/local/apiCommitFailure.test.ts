import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLocalRuntime, type LocalWiring } from '../../src/local/wiring.js';
import { type Logger, silentLogger } from '../../src/ports/Logger.js';
import { ROOT } from '../helpers/cli.js';
import { tempDir } from '../helpers/fixtures.js';

// A POST group whose SQLite commit fails was already counted by the in-memory feature windows.
// The local runtime must rebuild them from the database, or a client's retry (or the card's next
// transactions) would be scored against transactions that were never stored.
describe('local runtime: an API commit that fails', () => {
  let cleanup = () => {};
  let wiring: LocalWiring | undefined;

  afterEach(async () => {
    await wiring?.runtime.stop();
    wiring = undefined;
    cleanup();
  });

  const tx = (id: string, second: number) => ({
    transaction_id: id,
    timestamp: `2026-03-01T10:00:${String(second).padStart(2, '0')}Z`,
    account_id: 'ACC-1',
    card_number: '4111 1111 1111 1111',
    amount: '12.00',
    currency: 'EUR',
    merchant: 'Cafe',
  });

  it('leaves no trace in the features: the card velocity counts stored transactions only', async () => {
    // Prepare: a real SQLite failure for two ids, raised by a trigger from a second connection
    const t = tempDir();
    cleanup = t.cleanup;
    wiring = createLocalRuntime(loadConfig({}, { dataDir: t.dir, port: 0 }), { logger: silentLogger });
    const app = wiring.server;
    const db = new Database(join(t.dir, 'fraudmini.db'));
    db.exec(`CREATE TRIGGER refuse BEFORE INSERT ON transactions WHEN NEW.transaction_id IN ('F1', 'F2')
             BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`);
    db.close();
    const post = async (id: string, second: number): Promise<{ status: number; rules: string[] }> => {
      const res = await app.inject({ method: 'POST', url: '/transactions', payload: tx(id, second) });
      const rules = res.statusCode === 201 ? (res.json().decision.reasons as { rule: string }[]).map((r) => r.rule) : [];
      return { status: res.statusCode, rules };
    };

    // Act: two refused transactions, then four stored ones, all on one card within a minute
    const refused = [await post('F1', 10), await post('F2', 15)];
    const stored = [await post('S1', 20), await post('S2', 25), await post('S3', 30), await post('S4', 35)];

    // Assess: velocity (4 on a card within a minute) fires at the 4th stored one, not the 2nd
    expect(refused.map((r) => r.status)).toEqual([500, 500]);
    expect(stored.map((r) => r.status)).toEqual([201, 201, 201, 201]);
    expect(stored.map((r) => r.rules.includes('velocity'))).toEqual([false, false, false, true]);
  });

  it('waits for the file being processed before rebuilding, so its batches in flight are not dropped', async () => {
    // Prepare: a logger that keeps the order of events, and a failure reported mid-file (from the
    // receipt callback, which runs before the file's processing returns)
    const t = tempDir();
    cleanup = t.cleanup;
    const lines: string[] = [];
    const logger: Logger = { info: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(m) };
    let atReport: string[] = [];
    let received!: () => void;
    const receipt = new Promise<void>((r) => (received = r));
    wiring = createLocalRuntime(loadConfig({}, { dataDir: t.dir, port: 0 }), {
      logger,
      onReceipt: () => {
        wiring?.runtime.featuresDiverged();
        atReport = [...lines];
        received();
      },
    });
    await wiring.runtime.start({ host: '127.0.0.1', port: 0 });

    // Act
    copyFileSync(join(ROOT, 'samples', 'transactions.csv'), join(t.dir, 'inbox', 'transactions.csv'));
    await receipt;
    await wiring.runtime.idle();

    // Assess: nothing rebuilt while the file was in flight; rebuilt once after, from all it stored
    expect(atReport.filter((l) => l.startsWith('rebuilding'))).toEqual([]);
    expect(lines.filter((l) => l.startsWith('rebuilding'))).toHaveLength(1);
    expect(lines).toContain('feature windows rebuilt from 93 transactions');
  });

  it('rebuilds once for a burst of failed requests, and the windows then count stored transactions only', async () => {
    // Prepare: every F-id is refused; a barrier holds the burst's requests until all have arrived,
    // then lets them on one turn of the event loop apart, so each is a commit group of its own
    const t = tempDir();
    cleanup = t.cleanup;
    const lines: string[] = [];
    const logger: Logger = { info: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(m) };
    wiring = createLocalRuntime(loadConfig({}, { dataDir: t.dir, port: 0 }), { logger });
    const app = wiring.server;
    const db = new Database(join(t.dir, 'fraudmini.db'));
    db.exec(`CREATE TRIGGER refuse BEFORE INSERT ON transactions WHEN NEW.transaction_id LIKE 'F%'
             BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`);
    db.close();
    const burst = 20;
    let arrived = 0;
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    app.addHook('preHandler', async (req) => {
      if (!(req.body as { transaction_id?: string } | undefined)?.transaction_id?.startsWith('F')) return;
      const turns = arrived++;
      if (arrived === burst) open();
      await gate;
      for (let i = 0; i < turns; i++) await new Promise((r) => setImmediate(r));
    });
    const post = (id: string, second: number) =>
      app.inject({ method: 'POST', url: '/transactions', payload: tx(id, second) });

    // Act: the burst on one card, then four stored transactions on it, one after the other
    const failed = await Promise.all(Array.from({ length: burst }, (_, i) => post(`F${i}`, 5)));
    const rebuildsAfterBurst = lines.filter((l) => l.startsWith('rebuilding')).length;
    const stored: string[][] = [];
    for (const [i, second] of [20, 25, 30, 35].entries()) {
      const res = await post(`S${i + 1}`, second);
      expect(res.statusCode).toBe(201);
      stored.push((res.json().decision.reasons as { rule: string }[]).map((r) => r.rule));
    }

    // Assess
    expect(failed.map((r) => r.statusCode)).toEqual(Array.from({ length: burst }, () => 500));
    expect(rebuildsAfterBurst).toBe(1);
    expect(lines.filter((l) => l.startsWith('rebuilding'))).toHaveLength(1);
    expect(stored.map((rules) => rules.includes('velocity'))).toEqual([false, false, false, true]);
  });
});
