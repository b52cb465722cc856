import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLocalRuntime, type LocalWiring } from '../../src/local/wiring.js';
import type { Logger } from '../../src/ports/Logger.js';
import { tempDir } from '../helpers/fixtures.js';

/** Anything that could break a log line or drive a terminal. */
const CONTROL = /\p{Cc}|[\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

// The runtime passes its messages to whatever logger it is given (not only the TextLogger), so the
// messages it builds from file names must already be printable.
describe('local runtime: file names in log messages', () => {
  let cleanup = () => {};
  let wiring: LocalWiring | undefined;

  afterEach(async () => {
    await wiring?.runtime.stop();
    wiring = undefined;
    cleanup();
  });

  it('escapes newlines and terminal escapes of an inbox file name in every message', async () => {
    // Prepare: a processed file and a failed one, both named to forge lines
    const t = tempDir();
    cleanup = t.cleanup;
    const lines: { message: string; fields?: Record<string, unknown> }[] = [];
    const keep = (message: string, fields?: Record<string, unknown>) => lines.push({ message, fields });
    const logger: Logger = { info: keep, warn: keep, error: keep };
    const receipts: string[] = [];
    let done!: () => void;
    const both = new Promise<void>((r) => (done = r));
    wiring = createLocalRuntime(loadConfig({}, { dataDir: t.dir, port: 0, pollMs: 20 }), {
      logger,
      onReceipt: (r) => {
        receipts.push(r.status);
        if (receipts.length === 2) done();
      },
    });
    const good = 'good\n12:00:00 ERROR forged\x1b[2J\x1b[31m.csv';
    const bad = 'bad\r\n12:00:00 alert sink down\u2028\x1b]0;title\x07.csv';
    writeFileSync(join(t.dir, 'inbox', good), 'transaction_id,timestamp,account_id,amount\nT1,2026-01-01T00:00:00Z,A1,10.00\n');
    writeFileSync(join(t.dir, 'inbox', bad), 'no,header,we,know\n1,2,3,4\n');

    // Act
    await wiring.runtime.start({ host: '127.0.0.1', port: 0 });
    await both;

    // Assess
    expect(receipts.sort()).toEqual(['failed', 'processed']);
    const about = lines.filter((l) => l.message.includes('good') || l.message.includes('bad'));
    expect(about.length).toBeGreaterThanOrEqual(3);
    for (const l of lines) {
      expect(l.message).not.toMatch(CONTROL);
      for (const v of Object.values(l.fields ?? {})) if (typeof v === 'string') expect(v).not.toMatch(CONTROL);
    }
    expect(about.some((l) => l.message.includes('good\\n12:00:00 ERROR forged\\x1b[2J'))).toBe(true);
  });
});
