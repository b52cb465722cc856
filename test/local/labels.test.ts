import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import type { Model } from '../../src/core/model/model.js';
import { createLocalRuntime, type LocalWiring, localFeatureWindows } from '../../src/local/wiring.js';
import { silentLogger } from '../../src/ports/Logger.js';
import { tempDir } from '../helpers/fixtures.js';

describe('POST /transactions/:id/label on the local runtime', () => {
  let cleanup = () => {};
  const open: LocalWiring[] = [];

  afterEach(async () => {
    for (const w of open.splice(0)) await w.runtime.stop();
    cleanup();
  });

  const boot = (dir: string): LocalWiring => {
    const w = createLocalRuntime(loadConfig({}, { dataDir: dir, port: 0 }), { logger: silentLogger });
    open.push(w);
    return w;
  };
  const server = (w: LocalWiring) => w.server;

  it('records a label once, keeps it across a restart, and refuses a contradicting one', async () => {
    // Prepare
    const t = tempDir();
    cleanup = t.cleanup;
    const first = boot(t.dir);
    const app = server(first);
    const tx = { transaction_id: 'L1', account_id: 'A1', amount: '25.00', timestamp: '2026-02-01T12:00:00Z', terminal_id: 'T9' };
    await app.inject({ method: 'POST', url: '/transactions', payload: tx });
    await app.inject({
      method: 'POST',
      url: '/transactions',
      payload: { ...tx, transaction_id: 'L2', timestamp: '2026-02-03T12:00:00Z' },
    });

    // Act
    const recorded = await app.inject({ method: 'POST', url: '/transactions/L1/label', payload: { label: 'fraud' } });
    await first.runtime.stop();
    open.pop();
    const again = server(boot(t.dir));
    const same = await again.inject({ method: 'POST', url: '/transactions/L1/label', payload: { label: 1 } });
    const contra = await again.inject({ method: 'POST', url: '/transactions/L1/label', payload: { label: 'legit' } });
    const missing = await again.inject({ method: 'POST', url: '/transactions/nope/label', payload: { label: 'fraud' } });
    const bad = await again.inject({ method: 'POST', url: '/transactions/L1/label', payload: { label: 'maybe' } });

    // Assess
    expect(recorded.statusCode).toBe(201);
    // known from the stream's newest event time (L2), not from the transaction's own time
    expect(recorded.json()).toEqual({ transaction_id: 'L1', label: 'fraud', known_at: '2026-02-03T12:00:00.000Z' });
    expect(same.statusCode).toBe(200);
    expect(contra.statusCode).toBe(409);
    expect(missing.statusCode).toBe(404);
    expect(bad.statusCode).toBe(400);
  });

  it('treats a label that came with the transaction as already known', async () => {
    // Prepare
    const t = tempDir();
    cleanup = t.cleanup;
    const app = server(boot(t.dir));
    await app.inject({
      method: 'POST',
      url: '/transactions',
      payload: { transaction_id: 'K1', account_id: 'A1', amount: '5.00', timestamp: '2026-02-01T00:00:00Z', label: 'legit' },
    });

    // Act
    const res = await app.inject({ method: 'POST', url: '/transactions/K1/label', payload: { label: 'fraud' } });

    // Assess
    expect(res.statusCode).toBe(409);
    expect(res.json().label).toBe('legit');
  });

  it('keeps label feedback only where a model reads it: rules cannot', () => {
    // Prepare
    const model = { version: 'gbdt-test' } as unknown as Model;

    // Act
    const rulesOnly = localFeatureWindows(7 * 86_400_000, undefined);
    const withModel = localFeatureWindows(7 * 86_400_000, model);

    // Assess
    expect(rulesOnly.labels).toBeUndefined();
    expect(withModel.labels).toBeDefined();
  });
});
