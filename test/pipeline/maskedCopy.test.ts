import { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { csvEscape } from '../../src/core/csv.js';
import { maskPan, maskPansInText } from '../../src/core/pan.js';
import { MaskedCsvRenderer, maskedText } from '../../src/pipeline/maskedCopy.js';
import { TEST_PANS } from '../helpers/fixtures.js';
import { canaries, leakedPans, writtenPanArb } from '../security/panShapes.js';
import { testTokenizer } from '../helpers/transactions.js';

const tokenizer = testTokenizer();

/** The masked line as defined field by field: the card column masked, PAN-shaped text elsewhere masked, each field quoted as needed. */
function reference(fields: readonly string[], cardColumn: number, d: string): string {
  return fields
    .map((f, i) =>
      i === cardColumn && f.trim() !== '' ? (maskPan(f.trim()) ?? tokenizer(f.trim()).masked) : maskPansInText(f),
    )
    .map((f) => csvEscape(f, d))
    .join(d);
}

/** Field text built from the pieces masking and quoting care about. */
const field = fc
  .array(
    fc.oneof(
      fc.constantFrom(...TEST_PANS),
      fc.constantFrom('4111 1111 1111 1111', '5555-5555-5555-4444', '123456789012', '2', ' ', '-', '"', ',', ';', '|', '\t', '\n', '\r', 'x', '2024-03-01 12:00:00', '12500.00'),
      fc.constantFrom('12:30', '23:59:59.5', '1,250.00', '.00', '2024-03-01', '01/03/2024', '１２', '4111', ':', '.'),
      writtenPanArb.map((w) => w.text),
      fc.stringMatching(/^[0-9]{1,8}$/),
      fc.string({ maxLength: 4 }),
    ),
    { maxLength: 5 },
  )
  .map((parts) => parts.join(''));

describe('MaskedCsvRenderer', () => {
  it('renders each record as masking and quoting each field on its own would', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(field, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 10 }),
        fc.integer({ min: -1, max: 6 }),
        fc.constantFrom(',', ';', '\t', '|'),
        (records, cardColumn, d) => {
          // Prepare
          const renderer = new MaskedCsvRenderer({ cardColumn, delimiter: d, tokenizer });

          // Act
          for (const r of records) renderer.record(r);

          // Assess
          expect(renderer.take()).toBe(records.map((r) => `${reference(r, cardColumn, d)}\n`).join(''));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('masks a PAN in the card column and in free text, and quotes what needs it', () => {
    // Prepare
    const renderer = new MaskedCsvRenderer({ cardColumn: 1, delimiter: ',', tokenizer });
    renderer.header(['id', 'card_number', 'note']);

    // Act
    renderer.record(['t1', '4111111111111111', 'plain']);
    renderer.record(['t2', ' 5555 5555 5555 4444 ', 'paid with 4242424242424242, thanks']);
    renderer.record(['t3', 'opaque-ref', '']);

    // Assess
    expect(renderer.take().split('\n')).toEqual([
      'id,card_number,note',
      't1,411111******1111,plain',
      't2,555555******4444,"paid with 424242******4242, thanks"',
      `t3,${tokenizer('opaque-ref').masked},`,
      '',
    ]);
    expect(renderer.take()).toBe('');
  });

  it('masks a column named like a card number in the header', () => {
    // Prepare
    const renderer = new MaskedCsvRenderer({ cardColumn: -1, delimiter: ',', tokenizer });
    const named = canaries().slice(0, 8);

    // Act
    renderer.header(['id', ...named.map((c) => c.text)]);

    // Assess
    const header = renderer.take();
    expect(leakedPans(header, named.map((c) => c.pan))).toEqual([]);
    expect(header.startsWith('id,')).toBe(true);
  });
});

describe('maskedText (the copy of a file that failed)', () => {
  /** Feeds `text` to maskedText as its UTF-8 bytes cut at the given offsets, and joins the output. */
  const run = async (text: string, cuts: number[]): Promise<string> => {
    const bytes = Buffer.from(text, 'utf8');
    const at = [...new Set(cuts.map((c) => Math.min(c, bytes.length)))].sort((a, b) => a - b);
    const chunks = [0, ...at].map((from, i) => bytes.subarray(from, at[i] ?? bytes.length)).filter((c) => c.length > 0);
    let out = '';
    for await (const part of maskedText(Readable.from(chunks))) out += part;
    return out;
  };

  it('masks a card number split over lines or chunks, and otherwise masks as the whole text would', async () => {
    const line = fc.oneof(
      writtenPanArb.map((w) => w.text),
      fc.constantFrom('foo,bar', 'x', '', '"a', 'b"', '2024-03-01 12:00:00', '12500.00', 'id 7'),
      fc.string({ maxLength: 8, unit: fc.constantFrom(...'0123456789 ,.-x\n') }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(line, { minLength: 1, maxLength: 30 }), fc.array(fc.nat(1000), { maxLength: 6 }), async (lines, cuts) => {
        // Prepare
        const text = lines.join('\n');

        // Act
        const out = await run(text, cuts);

        // Assess
        expect(out).toBe(maskPansInText(text));
      }),
      { numRuns: 300 },
    );
  });

  it('masks every canary, a card number broken over a line in a quoted field too', async () => {
    // Prepare
    const shapes = canaries();
    const text = `foo,bar\n${shapes.map((c, i) => `${i},"${c.text}"`).join('\n')}\n`;

    // Act
    const out = await run(text, [5, 100, 101, 700]);

    // Assess
    expect(leakedPans(out, shapes.map((c) => c.pan))).toEqual([]);
  });
});

describe('maskedText', () => {
  const collect = async (chunks: string[]): Promise<string> => {
    let out = '';
    for await (const piece of maskedText((async function* () { yield* chunks; })())) out += piece;
    return out;
  };

  it('cuts a line longer than the limit at a letter, so a card number across the cut is not left partly readable', async () => {
    // Prepare: a PAN straddles the 65,536th character of line 2; the line goes on for 1 MiB
    const line2 = `${'a'.repeat(65_530)}4111 1111 1111 1111 ${'b'.repeat(1 << 20)}`;
    const text = `h1,h2\n${line2}\nnext 4242424242424242\n`;
    const chunks: string[] = [];
    for (let i = 0; i < text.length; i += 10_000) chunks.push(text.slice(i, i + 10_000));

    // Act
    const out = await collect(chunks);

    // Assess
    expect(out).toBe(
      `h1,h2\n${'a'.repeat(65_530)}[… cut: the line is longer than 65,536 characters]\nnext 424242******4242\n`,
    );
  });
});
