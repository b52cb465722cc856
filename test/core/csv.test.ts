import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CsvParser, type CsvRecord, csvEscape, DEFAULT_MAX_RECORD, detectDelimiter } from '../../src/core/csv.js';
import { UnclosedQuoteError } from '../../src/core/errors.js';

/** Feeds `chunks` to a fresh parser, then ends it, and returns every record. */
function parse(chunks: string | string[], delimiter = ',', maxRecord?: number): CsvRecord[] {
  const parser = new CsvParser(delimiter, { maxRecord });
  const out: CsvRecord[] = [];
  for (const c of typeof chunks === 'string' ? [chunks] : chunks) parser.push(c, out);
  parser.end(out);
  return out;
}

/** Splits `text` at the given positions (any order, duplicates allowed). */
function splitAt(text: string, cuts: number[]): string[] {
  const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
  const chunks: string[] = [];
  let from = 0;
  for (const p of points) {
    chunks.push(text.slice(from, p));
    from = p;
  }
  chunks.push(text.slice(from));
  return chunks;
}

describe('CsvParser', () => {
  it('parses simple records with their line numbers', () => {
    // Act
    const out = parse('a,b,c\n1,2,3\n');

    // Assess
    expect(out).toEqual([
      { fields: ['a', 'b', 'c'], line: 1 },
      { fields: ['1', '2', '3'], line: 2 },
    ]);
  });

  it('keeps empty fields', () => {
    expect(parse(',a,,\n').map((r) => r.fields)).toEqual([['', 'a', '', '']]);
  });

  it('reads quoted fields holding delimiters, escaped quotes and newlines', () => {
    // Prepare
    const text = 'id,note\n1,"x, y"\n2,"say ""hi"""\n3,"two\nlines"\n4,""\n';

    // Act
    const out = parse(text);

    // Assess
    expect(out.map((r) => r.fields)).toEqual([
      ['id', 'note'],
      ['1', 'x, y'],
      ['2', 'say "hi"'],
      ['3', 'two\nlines'],
      ['4', ''],
    ]);
  });

  it('counts lines inside quoted fields so later records keep their physical line', () => {
    // Prepare
    const text = 'h1,h2\n"a\nb\nc",x\nd,e\n"f","g\r\nh"\ni,j\n';

    // Act
    const out = parse(text);

    // Assess
    expect(out.map((r) => r.line)).toEqual([1, 2, 5, 6, 8]);
    expect(out[3]?.fields).toEqual(['f', 'g\r\nh']);
  });

  it('strips CRLF line endings', () => {
    expect(parse('a,b\r\n1,"2"\r\n3,4\r\n')).toEqual([
      { fields: ['a', 'b'], line: 1 },
      { fields: ['1', '2'], line: 2 },
      { fields: ['3', '4'], line: 3 },
    ]);
  });

  it('drops a UTF-8 BOM at the start, even when it arrives alone', () => {
    expect(parse('\uFEFFa,b\n1,2\n').map((r) => r.fields)).toEqual([
      ['a', 'b'],
      ['1', '2'],
    ]);
    expect(parse(['\uFEFF', 'a,b\n']).map((r) => r.fields)).toEqual([['a', 'b']]);
  });

  it('keeps a BOM-like character that is not at the start of the input', () => {
    expect(parse('a,b\n\uFEFFc,d\n').map((r) => r.fields)).toEqual([
      ['a', 'b'],
      ['\uFEFFc', 'd'],
    ]);
  });

  it('skips blank lines but still counts them', () => {
    // Act
    const out = parse('a,b\n\n\r\n1,2\n\n');

    // Assess
    expect(out).toEqual([
      { fields: ['a', 'b'], line: 1 },
      { fields: ['1', '2'], line: 4 },
    ]);
  });

  it('emits the last record without a trailing newline only on end()', () => {
    // Prepare
    const parser = new CsvParser();
    const out: CsvRecord[] = [];

    // Act
    parser.push('a,b\n1,2', out);
    const beforeEnd = out.length;
    parser.end(out);

    // Assess
    expect(beforeEnd).toBe(1);
    expect(out).toEqual([
      { fields: ['a', 'b'], line: 1 },
      { fields: ['1', '2'], line: 2 },
    ]);
  });

  it('emits a final quoted record without a trailing newline', () => {
    expect(parse('a,b\n1,"x\ny"').map((r) => r.fields)).toEqual([
      ['a', 'b'],
      ['1', 'x\ny'],
    ]);
  });

  it('waits for more input when a chunk ends right after a closing quote', () => {
    // Prepare: the quote could be the first half of an escaped quote
    const parser = new CsvParser();
    const out: CsvRecord[] = [];

    // Act
    parser.push('1,"a"', out);
    const afterFirst = out.length;
    parser.push('"b"\n', out);

    // Assess
    expect(afterFirst).toBe(0);
    expect(out).toEqual([{ fields: ['1', 'a"b'], line: 1 }]);
  });

  it('gives the same records for every chunking, down to one character at a time', () => {
    // Prepare
    const text = '\uFEFFid;note\r\n1;"a;b"\r\n\r\n2;"x ""y""\r\nz"\r\n3;plain';

    // Act
    const whole = parse(text, ';');
    const byChar = parse([...text], ';');

    // Assess
    expect(byChar).toEqual(whole);
    expect(whole).toEqual([
      { fields: ['id', 'note'], line: 1 },
      { fields: ['1', 'a;b'], line: 2 },
      { fields: ['2', 'x "y"\r\nz'], line: 4 },
      { fields: ['3', 'plain'], line: 6 },
    ]);
  });

  it.each([
    [';', 'a;b;"c;d"\n'],
    ['\t', 'a\tb\t"c\td"\n'],
    ['|', 'a|b|"c|d"\n'],
  ])('splits on the %j delimiter', (delimiter, text) => {
    expect(parse(text, delimiter).map((r) => r.fields)).toEqual([['a', 'b', `c${delimiter}d`]]);
  });

  it('treats a quote inside an unquoted field as a literal character', () => {
    expect(parse('5" screen,x\n').map((r) => r.fields)).toEqual([['5" screen', 'x']]);
  });

  it.each(['"', '\n', ',,', ''])('rejects the delimiter %j', (delimiter) => {
    expect(() => new CsvParser(delimiter)).toThrow(RangeError);
  });

  it('round trips any table written with csvEscape, however the text is chunked', () => {
    const cell = fc.string({
      unit: fc.constantFrom('a', 'b', ' ', ',', ';', '\t', '|', '"', '\n', '\r'),
      maxLength: 6,
    });
    const table = fc
      .integer({ min: 1, max: 4 })
      .chain((columns) => fc.array(fc.array(cell, { minLength: columns, maxLength: columns }), { maxLength: 8 }));

    fc.assert(
      fc.property(
        table,
        fc.constantFrom(',', ';', '\t', '|'),
        fc.constantFrom('\n', '\r\n'),
        fc.boolean(),
        fc.array(fc.nat(), { maxLength: 10 }),
        (rows, delimiter, eol, finalEol, cuts) => {
          // Prepare: a row that serialises to nothing is a blank line, which CSV cannot tell apart
          const lines = rows
            .map((r) => r.map((v) => csvEscape(v, delimiter)).join(delimiter))
            .map((text, i) => ({ text, fields: rows[i] ?? [] }))
            .filter((l) => l.text !== '');
          const text = lines.map((l) => l.text).join(eol) + (finalEol && lines.length > 0 ? eol : '');
          const expected: CsvRecord[] = [];
          let line = 1;
          for (const l of lines) {
            expected.push({ fields: l.fields, line });
            line += 1 + (l.text.match(/\n/g)?.length ?? 0);
          }

          // Act
          const out = parse(splitAt(text, cuts), delimiter);

          // Assess
          expect(out).toEqual(expected);
        },
      ),
      { numRuns: 500 },
    );
  });
});

/** What parsing `chunks` ends in: its records, or the line and type of the error it fails with. */
function outcome(chunks: string[], delimiter: string, maxRecord: number): unknown {
  try {
    return parse(chunks, delimiter, maxRecord);
  } catch (e) {
    if (e instanceof UnclosedQuoteError) return { error: e.name, line: e.line };
    throw e;
  }
}

describe('CsvParser record limit', () => {
  it('turns a record longer than the limit into one too-long record holding its first characters, and goes on', () => {
    // Prepare
    const text = `a,b\n${'x'.repeat(30)},y\nc,d\n`;

    // Act
    const whole = parse(text, ',', 16);
    const byChar = parse([...text], ',', 16);

    // Assess
    expect(whole).toEqual([
      { fields: ['a', 'b'], line: 1 },
      { fields: ['x'.repeat(16)], line: 2, tooLong: true },
      { fields: ['c', 'd'], line: 3 },
    ]);
    expect(byChar).toEqual(whole);
  });

  it('keeps a record of exactly the limit and cuts one a character longer', () => {
    // Act
    const exact = parse(`${'a'.repeat(15)},\n`, ',', 16);
    const over = parse(`${'a'.repeat(16)},\n`, ',', 16);

    // Assess
    expect(exact).toEqual([{ fields: ['a'.repeat(15), ''], line: 1 }]);
    expect(over).toEqual([{ fields: ['a'.repeat(16)], line: 1, tooLong: true }]);
  });

  it('cuts an over-long record whose quoted fields closed within the limit, and counts their line breaks', () => {
    // Prepare: the quoted field holds a line break, so the next record starts on line 4
    const text = `h\n"a\nb",${'x'.repeat(40)}\n"c"\n`;

    // Act
    const out = parse(text, ',', 16);

    // Assess
    expect(out).toEqual([
      { fields: ['h'], line: 1 },
      { fields: ['a\nb', 'x'.repeat(10)], line: 2, tooLong: true },
      { fields: ['c'], line: 4 },
    ]);
    expect(parse([...text], ',', 16)).toEqual(out);
  });

  it.each([
    ['never closed', `h\n1,"${'x'.repeat(100)}`],
    ['closed past the limit', `h\n1,"${'x'.repeat(100)}"\n2,y\n`],
    ['holding line breaks', `h\n1,"${'x\n'.repeat(50)}"\n`],
  ])('fails when a quoted field is still open at the limit (%s), naming the record line', (_, text) => {
    // Act
    const error = (() => {
      try {
        parse(text, ',', 32);
      } catch (e) {
        return e;
      }
      return undefined;
    })();

    // Assess
    expect(error).toBeInstanceOf(UnclosedQuoteError);
    expect((error as UnclosedQuoteError).line).toBe(2);
    expect((error as Error).message).toMatch(/^line 2: a quoted field .* 32 characters/);
  });

  it('stops a 32 MiB unterminated quoted field within the first limit of it (memory stays bounded)', () => {
    // Prepare: 512 chunks of 64 KiB, one quoted field that never closes
    const parser = new CsvParser(',', { file: 'big.csv' });
    const chunk = 'x'.repeat(64 << 10);
    let pushed = 0;

    // Act
    const error = (() => {
      try {
        parser.pushEach('id,note\n1,"', () => undefined);
        for (let i = 0; i < 512; i++) {
          parser.pushEach(chunk, () => undefined);
          pushed += chunk.length;
        }
        parser.endEach(() => undefined);
      } catch (e) {
        return e;
      }
      return undefined;
    })();

    // Assess
    expect(error).toBeInstanceOf(UnclosedQuoteError);
    expect((error as Error).message).toMatch(/^big\.csv: line 2: /);
    expect(pushed).toBeLessThanOrEqual(DEFAULT_MAX_RECORD);
  });

  it('scans each character a bounded number of times, however long the record and small the chunks', () => {
    // Prepare: a 2 MB quoted record in 1 KiB chunks (limit raised to let it through), and a
    // record of 20,000 quoted fields in one chunk
    const long = `id,note\n1,"${'ab""c\n'.repeat(350_000)}"\n2,x\n`;
    const many = `${'"",'.repeat(20_000)}""\n`;
    const a = new CsvParser(',', { maxRecord: 8 << 20 });
    const b = new CsvParser(',');
    const out: CsvRecord[] = [];

    // Act
    for (let i = 0; i < long.length; i += 1024) a.push(long.slice(i, i + 1024), out);
    a.end(out);
    b.push(many, out);
    b.end(out);

    // Assess
    expect(out.map((r) => [r.line, r.fields.length, r.fields[1]?.length])).toEqual([
      [1, 2, 4],
      [2, 2, 1_750_000],
      [350_003, 2, 1],
      [1, 20_001, 0],
    ]);
    expect(a.charsScanned).toBeLessThanOrEqual(8 * long.length);
    expect(b.charsScanned).toBeLessThanOrEqual(8 * many.length);
  });

  it('gives the same records, or fails at the same line, however the text is chunked', () => {
    const piece = fc.constantFrom('a', 'bb', ',', '"', '""', '\n', '\r', '\r\n', ';', 'x'.repeat(9));
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 40 }).map((p) => p.join('')),
        fc.integer({ min: 1, max: 24 }),
        fc.constantFrom(',', ';'),
        fc.array(fc.nat(), { maxLength: 8 }),
        (text, maxRecord, delimiter, cuts) => {
          expect(outcome(splitAt(text, cuts), delimiter, maxRecord)).toEqual(outcome([text], delimiter, maxRecord));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('reads a lone CR as data, in quoted records as in plain ones', () => {
    expect(parse('a\rb,c\n"d"\re,f\n').map((r) => r.fields)).toEqual([
      ['a\rb', 'c'],
      ['d\re', 'f'],
    ]);
  });

  it.each([0, -1, 1.5, Number.NaN])('rejects the record limit %j', (maxRecord) => {
    expect(() => new CsvParser(',', { maxRecord })).toThrow(RangeError);
  });
});

describe('detectDelimiter', () => {
  it.each([
    ['timestamp,account_id,amount', ','],
    ['timestamp;account_id;amount', ';'],
    ['timestamp\taccount_id\tamount', '\t'],
    ['timestamp|account_id|amount', '|'],
    ['amount', ','],
    ['a;b,c;d', ';'],
    ['a,b;c', ','],
  ])('picks the delimiter of %j', (header, expected) => {
    expect(detectDelimiter(header)).toBe(expected);
  });
});

describe('csvEscape', () => {
  it.each([
    ['plain', ',', 'plain'],
    ['', ',', ''],
    ['a,b', ',', '"a,b"'],
    ['a,b', ';', 'a,b'],
    ['a;b', ';', '"a;b"'],
    ['say "hi"', ',', '"say ""hi"""'],
    ['two\nlines', ',', '"two\nlines"'],
    ['cr\r', ',', '"cr\r"'],
  ])('escapes %j (delimiter %j) as %j', (value, delimiter, expected) => {
    expect(csvEscape(value, delimiter)).toBe(expected);
  });
});
