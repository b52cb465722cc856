/** One CSV record: its fields and the physical line (1-based) where it starts. */
export interface CsvRecord {
  fields: string[];
  line: number;
}

/** Receives one parsed record: its fields and the physical line (1-based) where it starts. */
export type CsvEmit = (fields: string[], line: number) => void;

/**
 * Incremental RFC 4180 CSV parser: feed it chunks of text, get complete records back.
 * Pure (no I/O), so the same parser serves files, S3 streams and tests. Lines without a
 * quote take a fast split path; quoted fields may hold delimiters, `""` and newlines.
 * Blank lines are skipped. A UTF-8 BOM at the start is dropped.
 *
 * @example
 * const p = new CsvParser(',');
 * const out: CsvRecord[] = [];
 * p.push('a,b\n1,"x, y"\n', out); // out: [{fields:['a','b'],line:1},{fields:['1','x, y'],line:2}]
 */
export class CsvParser {
  private rest = '';
  private line = 0;
  private started = false;

  constructor(private readonly delimiter = ',') {
    if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\n') {
      throw new RangeError(`invalid CSV delimiter ${JSON.stringify(delimiter)}`);
    }
  }

  /** Parses as many complete records as `chunk` (after what was left over) holds. */
  push(chunk: string, out: CsvRecord[]): void {
    this.pushEach(chunk, (fields, line) => out.push({ fields, line }));
  }

  /** Flushes the last record (a file need not end with a newline). */
  end(out: CsvRecord[]): void {
    this.endEach((fields, line) => out.push({ fields, line }));
  }

  /**
   * Like {@link push}, but hands each record to `emit` as soon as it is parsed, without a
   * {@link CsvRecord} per row or a list of them: a 1 MiB chunk is ~8,000 rows, and holding all
   * their field arrays until the chunk was done kept them alive past young-generation GCs.
   */
  pushEach(chunk: string, emit: CsvEmit): void {
    let text = this.rest + chunk;
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    this.rest = text.slice(this.parse(text, emit, false));
  }

  /** Like {@link end}, handing the last record to `emit`. */
  endEach(emit: CsvEmit): void {
    const text = this.rest;
    this.rest = '';
    if (text.length > 0) this.parse(text, emit, true);
  }

  /** Returns the index up to which `text` was consumed. */
  private parse(text: string, emit: CsvEmit, final: boolean): number {
    const delim = this.delimiter;
    let pos = 0;
    let nextQuote = text.indexOf('"');
    if (nextQuote === -1) nextQuote = Number.POSITIVE_INFINITY;
    while (pos < text.length) {
      let nl = text.indexOf('\n', pos);
      if (nl === -1) {
        if (!final) break;
        nl = text.length;
      }
      if (nextQuote < pos) {
        nextQuote = text.indexOf('"', pos);
        if (nextQuote === -1) nextQuote = Number.POSITIVE_INFINITY;
      }
      if (nextQuote > nl) {
        this.line++;
        const end = nl > pos && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
        if (end > pos) emit(text.slice(pos, end).split(delim), this.line);
        pos = nl + 1;
        continue;
      }
      const consumed = this.parseQuoted(text, pos, emit, final);
      if (consumed === -1) break;
      pos = consumed;
    }
    return Math.min(pos, text.length);
  }

  /** Slow path for a record containing quotes; -1 when the record is not complete yet. */
  private parseQuoted(text: string, start: number, emit: CsvEmit, final: boolean): number {
    const delim = this.delimiter.charCodeAt(0);
    const fields: string[] = [];
    let lines = 1;
    let i = start;
    let field = '';
    for (;;) {
      if (i >= text.length) {
        if (!final) return -1;
        fields.push(field);
        break;
      }
      const c = text.charCodeAt(i);
      if (c === 34 /* " */ && field === '' && (i === start || text.charCodeAt(i - 1) === delim)) {
        // quoted field
        let j = i + 1;
        let value = '';
        for (;;) {
          const q = text.indexOf('"', j);
          if (q === -1) {
            if (!final) return -1;
            value += text.slice(j);
            j = text.length;
            break;
          }
          value += text.slice(j, q);
          if (text.charCodeAt(q + 1) === 34) {
            value += '"';
            j = q + 2;
            continue;
          }
          if (q + 1 >= text.length && !final) return -1;
          j = q + 1;
          break;
        }
        lines += countNewlines(value);
        field = value;
        i = j;
        continue;
      }
      if (c === delim) {
        fields.push(field);
        field = '';
        i++;
        continue;
      }
      if (c === 10 || c === 13) {
        fields.push(field);
        i += c === 13 && text.charCodeAt(i + 1) === 10 ? 2 : 1;
        if (c === 13 && i >= text.length && !final) return -1;
        break;
      }
      field += text[i];
      i++;
    }
    this.line++;
    emit(fields, this.line);
    this.line += lines - 1;
    return i;
  }
}

function countNewlines(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i !== -1; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

/** Picks the delimiter (`,` `;` tab `|`) that splits a header line into the most columns. */
export function detectDelimiter(headerLine: string): string {
  let best = ',';
  let bestCount = 0;
  for (const d of [',', ';', '\t', '|']) {
    const count = headerLine.split(d).length - 1;
    if (count > bestCount) {
      best = d;
      bestCount = count;
    }
  }
  return best;
}

/** Quotes a value for CSV output when it holds the delimiter, a quote or a line break. */
export function csvEscape(value: string, delimiter = ','): string {
  const needs = value.includes(delimiter) || value.includes('"') || value.includes('\n') || value.includes('\r');
  return needs ? `"${value.replaceAll('"', '""')}"` : value;
}
