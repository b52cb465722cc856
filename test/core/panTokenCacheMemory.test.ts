import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtBin, ROOT } from '../helpers/cli.js';

/**
 * Run in a child with `--expose-gc` (integration project: it needs the built `dist/`): a CSV of
 * 40,000 rows, each with its own card, goes through ingest with the tokenizer's cache, everything is
 * dropped, and after a full collection the heap must not still hold the parsed text.
 */
const SCRIPT = `
const dist = process.argv[1];
const { createPanTokenizer } = await import(dist + '/core/pan.js');
const { ingestCsv } = await import(dist + '/pipeline/ingest.js');
const { Readable } = await import('node:stream');
const tokenizer = createPanTokenizer('pan-cache-memory-test-key-0123456789', { cache: 65536 });
const luhn = (p) => { let s = 0, d = true; for (let i = p.length - 1; i >= 0; i--) { let x = p.charCodeAt(i) - 48; if (d) { x *= 2; if (x > 9) x -= 9; } s += x; d = !d; } return String((10 - (s % 10)) % 10); };
const rows = ['transaction_id,timestamp,account_id,card_number,amount,currency,merchant'];
for (let i = 0; i < 40000; i++) {
  const p = String(411111000000000 + i * 7919).slice(0, 15);
  rows.push('T' + i + ',2026-01-01T00:00:00Z,A' + (i % 50) + ',' + p + luhn(p) + ',10.00,USD,' + 'm'.repeat(200));
}
let csv = Buffer.from(rows.join('\\n') + '\\n');
const textBytes = csv.length;
gc();
const before = process.memoryUsage().heapUsed;
let decided = 0;
for await (const b of ingestCsv(Readable.from([csv.subarray(0, csv.length >> 1), csv.subarray(csv.length >> 1)]), { fileKey: 'f.csv', tokenizer, batchSize: 500 })) decided += b.rows.length;
csv = null;
gc();
console.log(JSON.stringify({ decided, textBytes, kept: process.memoryUsage().heapUsed - before }));
`;

describe('the tokenizer cache and the text card numbers are parsed from', () => {
  it('keeps no part of the parsed text alive once ingest is done', () => {
    // Prepare
    builtBin();

    // Act
    const run = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', SCRIPT, join(ROOT, 'dist')], { encoding: 'utf8' });

    // Assess: what stays is the cache (40,000 short keys and their tokens, about half the text's
    // size), not the text as well (one and a half times its size).
    expect(run.status, run.stderr).toBe(0);
    const { decided, textBytes, kept } = JSON.parse(run.stdout) as { decided: number; textBytes: number; kept: number };
    expect(decided).toBe(40_000);
    expect(kept).toBeLessThan(textBytes * 0.75);
  });
});
