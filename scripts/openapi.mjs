#!/usr/bin/env node
// Writes docs/openapi.json: the OpenAPI document `fraudmini start` serves at GET /openapi.json,
// generated from the route schemas (src/server/openapi.ts). Runs the built code: `npm run openapi`
// builds first. test/server/openapi.test.ts fails while the committed file differs.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../dist/config.js';
import { createLocalRuntime } from '../dist/local/wiring.js';
import { silentLogger } from '../dist/ports/Logger.js';

const dir = mkdtempSync(join(tmpdir(), 'fraudmini-openapi-'));
const wiring = createLocalRuntime(loadConfig({}, { dataDir: dir, port: 0 }), { logger: silentLogger });
try {
  await wiring.server.ready();
  const out = new URL('../docs/openapi.json', import.meta.url);
  writeFileSync(out, `${JSON.stringify(wiring.server.swagger(), null, 2)}\n`);
  process.stdout.write(`wrote ${out.pathname}\n`);
} finally {
  await wiring.runtime.stop();
  rmSync(dir, { recursive: true, force: true });
}
