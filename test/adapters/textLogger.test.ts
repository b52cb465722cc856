import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { TextLogger } from '../../src/adapters/local/TextLogger.js';
import { canaries, leakedPans } from '../security/panShapes.js';

/** A name built to forge a second log line and to clear and recolour the terminal. */
const HOSTILE = 'x.csv\n12:00:00 ERROR forged line\r\x1b[2J\x1b[31mred\u2028\u202e';

/** Anything that could break a log line or drive a terminal. */
const CONTROL = /\p{Cc}|[\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

function capture(format: 'text' | 'json'): { logger: TextLogger; text: () => string } {
  const out = new PassThrough();
  let text = '';
  out.on('data', (c: Buffer) => (text += c.toString('utf8')));
  return { logger: new TextLogger({ out, format }), text: () => text };
}

describe('TextLogger', () => {
  it('writes control characters of a message as escapes, one line per event (text)', () => {
    // Prepare
    const { logger, text } = capture('text');

    // Act
    logger.warn(`${HOSTILE}: failed`);
    logger.info('next');

    // Assess
    const lines = text().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('');
    expect(lines[0]).toContain('x.csv\\n12:00:00 ERROR forged line\\r\\x1b[2J\\x1b[31mred\\u2028\\u202e: failed');
    for (const line of lines) expect(line).not.toMatch(CONTROL);
  });

  it('escapes the message and string fields in JSON too, so a decoded value cannot forge a line', () => {
    // Prepare
    const { logger, text } = capture('json');

    // Act
    logger.error(`${HOSTILE}: failed`, { file: HOSTILE, nested: { file: HOSTILE }, rows: 3 });

    // Assess
    const lines = text().split('\n');
    expect(lines).toHaveLength(2);
    const event = JSON.parse(lines[0] ?? '') as { message: string; file: string; nested: { file: string }; rows: number };
    for (const value of [event.message, event.file, event.nested.file]) {
      expect(value).not.toMatch(CONTROL);
      expect(value).not.toContain('\n');
      expect(value).toContain('\\x1b[2J');
    }
    expect(event.rows).toBe(3);
  });

  it('leaves ordinary text alone', () => {
    // Prepare
    const { logger, text } = capture('text');

    // Act
    logger.info('tx.csv: 1,000 rows (50%) -> processed/ C:\\data é ✓');

    // Assess
    expect(text()).toMatch(/^\d\d:\d\d:\d\d tx\.csv: 1,000 rows \(50%\) -> processed\/ C:\\data é ✓\n$/);
  });

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
