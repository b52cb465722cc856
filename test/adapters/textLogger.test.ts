import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { TextLogger } from '../../src/adapters/local/TextLogger.js';
import { canaries, leakedPans } from '../security/panShapes.js';

/** A logger of the given format writing into a string. */
function capture(format: 'text' | 'json'): { logger: TextLogger; text: () => string } {
  const out = new PassThrough();
  const chunks: string[] = [];
  out.on('data', (c: Buffer) => chunks.push(c.toString('utf8')));
  return { logger: new TextLogger({ out, format }), text: () => chunks.join('') };
}

describe('TextLogger', () => {
  it.each(['text', 'json'] as const)('masks a card number a caller put in a %s line or its fields', (format) => {
    // Prepare
    const shapes = canaries();
    const { logger, text } = capture(format);

    // Act
    for (const c of shapes) {
      logger.info(`inbox/batch_${c.text}.csv: processing`);
      logger.warn('rename failed', { path: `/data/inbox/${c.text}.csv`, nested: { note: c.text } });
      logger.error(`ENOENT: no such file, rename '${c.text}'`);
    }

    // Assess
    expect(text().split('\n').length).toBeGreaterThan(shapes.length * 3);
    expect(leakedPans(text(), shapes.map((c) => c.pan))).toEqual([]);
  });
});
