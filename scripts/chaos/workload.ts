import { generateTraffic, TRAFFIC_HEADER } from '../../src/synth/generateTraffic.js';
import { Sfc32 } from '../../src/synth/random.js';

/** How much work a chaos run plans, before anything runs. */
export interface WorkloadOptions {
  seed: number;
  /** Inbox files, the first always the largest (so an early kill can land mid-ingest). */
  files: number;
  /** Rows of the largest file. */
  maxRows: number;
  /** Distinct transactions for `POST /transactions` (some of them rows of the files). */
  posts: number;
}

/** One CSV file to drop into the inbox, and what must become of each of its rows. */
export interface PlannedFile {
  name: string;
  csv: string;
  /** Transaction id of each data row (index 0 is row 1). */
  ids: string[];
  /** Data rows (1-based) built to be rejected. */
  invalidRows: Set<number>;
  /** A header that cannot be mapped: the whole file must fail, with a receipt in `failed/`. */
  brokenHeader: boolean;
  /** Rows copied from an earlier file or repeated from this one: duplicates unless something else was first. */
  copiedRows: number;
}

/** One transaction for `POST /transactions`. */
export interface PlannedPost {
  id: string;
  body: Record<string, string>;
  /** Built to fail validation (a 400, never a decision). */
  invalid: boolean;
  /** The same transaction is a row of one of the files. */
  fromFile: boolean;
}

/** Everything a chaos run sends. */
export interface Workload {
  files: PlannedFile[];
  posts: PlannedPost[];
}

const COLUMNS = TRAFFIC_HEADER.split(',');
const LABEL_COLUMNS = 2; // `label` and `scenario` end the generated header
const DAY_MS = 86_400_000;
const FIRST_DAY = Date.UTC(2026, 0, 1);

/** Ways a row is made invalid: each must be rejected with a reason, never stop the file. */
const BREAKAGES: ((fields: string[]) => string[])[] = [
  (f) => withField(f, 'amount', 'abc'),
  (f) => withField(f, 'amount', '-3.00'),
  (f) => withField(f, 'timestamp', 'yesterday'),
  (f) => withField(f, 'account_id', ''),
  (f) => f.slice(0, 3),
];

/**
 * Builds the files and POST bodies of a run from its seed: generated traffic (each file its own
 * generator seed and id prefix), with invalid rows, rows copied from earlier files and
 * rows repeated inside a file mixed in at random places, and one file with a broken header.
 */
export function buildWorkload(options: WorkloadOptions): Workload {
  const rng = new Sfc32(options.seed);
  const files: PlannedFile[] = [];
  // Valid rows of the files built so far (all columns), the source of cross-file duplicates.
  const earlier: string[][] = [];
  const brokenAt = options.files >= 4 ? 1 + rng.int(options.files - 1) : -1;
  for (let i = 0; i < options.files; i++) {
    const name = `f${String(i).padStart(3, '0')}.csv`;
    if (i === brokenAt) {
      files.push({
        name,
        csv: 'when,who,how_much\n2026-01-01T00:00:00Z,A1,12.00\n',
        ids: [],
        invalidRows: new Set(),
        brokenHeader: true,
        copiedRows: 0,
      });
      continue;
    }
    const rows = i === 0 ? options.maxRows : fileSize(rng, options.maxRows);
    const fresh = trafficRows(rows, (options.seed + 1 + i) >>> 0, FIRST_DAY + (i + 1) * DAY_MS, `F${i}R`);
    const planned = mixFile(name, fresh, earlier, rng, i % 2 === 0);
    files.push(planned);
    earlier.push(...fresh);
  }
  const posts = buildPosts(options, rng, earlier);
  return { files, posts };
}

/** A file's row count: many small files, some medium, a few large. */
function fileSize(rng: Sfc32, maxRows: number): number {
  const p = rng.float();
  if (p < 0.35) return 10 + rng.int(190);
  if (p < 0.75) return Math.max(20, 200 + rng.int(Math.max(1, Math.floor(maxRows / 5) - 200)));
  return Math.max(20, Math.floor(maxRows / 3) + rng.int(Math.max(1, maxRows - Math.floor(maxRows / 3))));
}

/**
 * `rows` rows of generated traffic (fewer if the generator makes fewer), as field lists, with ids
 * `<prefix><n>`. The generator's own ids (`G<seed>-` and 9 digits) are replaced: ids that read as
 * card numbers are stored masked and tokenised, and the verifier finds each row's decision under
 * the id its file gave it; letters between the digit groups keep these ids clear of the masker.
 */
function trafficRows(rows: number, seed: number, start: number, prefix: string): string[][] {
  // About 3.5 transactions per customer-day: ask for a little more than needed.
  const customers = Math.max(10, Math.ceil(rows / 3));
  const out: string[][] = [];
  let header = true;
  for (const chunk of generateTraffic({ customers, days: 1, seed, start })) {
    for (const line of Buffer.from(chunk.csv).toString('ascii').split('\n')) {
      if (line === '') continue;
      if (header) {
        header = false;
        continue;
      }
      const fields = line.split(',');
      fields[0] = `${prefix}${out.length + 1}`;
      out.push(fields);
      if (out.length >= rows) return out;
    }
  }
  return out;
}

/**
 * One file: its own rows plus invalid rows, rows copied from earlier files and rows repeated from
 * itself, at random positions. `labelled` files keep the generator's label column.
 */
function mixFile(name: string, fresh: string[][], earlier: string[][], rng: Sfc32, labelled: boolean): PlannedFile {
  const rows: { fields: string[]; invalid: boolean }[] = fresh.map((fields) => ({ fields, invalid: false }));
  const insertAt = (fields: string[], invalid: boolean): void => {
    rows.splice(rng.int(rows.length + 1), 0, { fields, invalid });
  };
  let copied = 0;
  const crossFile = earlier.length > 0 ? Math.ceil(fresh.length * 0.02) : 0;
  for (let k = 0; k < crossFile; k++, copied++) insertAt(earlier[rng.int(earlier.length)] as string[], false);
  const repeated = Math.ceil(fresh.length * 0.01);
  for (let k = 0; k < repeated; k++, copied++) {
    const pos = rng.int(rows.length);
    rows.splice(pos + 1 + rng.int(rows.length - pos), 0, { fields: (rows[pos] as { fields: string[] }).fields, invalid: false });
  }
  const invalid = Math.ceil(fresh.length * 0.02);
  for (let k = 0; k < invalid; k++) {
    const base = [...(fresh[rng.int(fresh.length)] as string[])];
    base[0] = `BAD${name.replace('.csv', '')}R${k}`;
    insertAt((BREAKAGES[rng.int(BREAKAGES.length)] as (f: string[]) => string[])(base), true);
  }
  const width = labelled ? COLUMNS.length : COLUMNS.length - LABEL_COLUMNS;
  const lines = [COLUMNS.slice(0, width).join(',')];
  const invalidRows = new Set<number>();
  const ids: string[] = [];
  rows.forEach((r, i) => {
    lines.push(r.fields.slice(0, width).join(','));
    ids.push(r.fields[0] as string);
    if (r.invalid) invalidRows.add(i + 1);
  });
  return { name, csv: `${lines.join('\n')}\n`, ids, invalidRows, brokenHeader: false, copiedRows: copied };
}

/**
 * POST bodies: generated transactions of their own, about 8% taken from the files' rows (the same
 * transaction arriving both ways) and about 4% invalid.
 */
function buildPosts(options: WorkloadOptions, rng: Sfc32, fileRows: string[][]): PlannedPost[] {
  const own = trafficRows(options.posts, (options.seed + 1 + options.files) >>> 0, FIRST_DAY, 'P');
  const posts: PlannedPost[] = [];
  const taken = new Set<string>();
  own.forEach((fields, k) => {
    const p = rng.float();
    if (p < 0.04) {
      const body = bodyOf(fields);
      body.transaction_id = `BADPOST${k}`;
      body.amount = rng.float() < 0.5 ? 'minus five' : '0';
      posts.push({ id: body.transaction_id, body, invalid: true, fromFile: false });
    } else if (p < 0.12 && fileRows.length > 0) {
      const row = fileRows[rng.int(fileRows.length)] as string[];
      if (taken.has(row[0] as string)) return;
      taken.add(row[0] as string);
      posts.push({ id: row[0] as string, body: bodyOf(row), invalid: false, fromFile: true });
    } else {
      posts.push({ id: fields[0] as string, body: bodyOf(fields), invalid: false, fromFile: false });
    }
  });
  return posts;
}

/** A JSON body from generated fields: empty fields left out, no label (labels come later, by the API). */
function bodyOf(fields: string[]): Record<string, string> {
  const body: Record<string, string> = {};
  COLUMNS.slice(0, COLUMNS.length - LABEL_COLUMNS).forEach((c, i) => {
    const v = fields[i];
    if (v !== undefined && v !== '') body[c] = v;
  });
  return body;
}

function withField(fields: string[], column: string, value: string): string[] {
  const out = [...fields];
  out[COLUMNS.indexOf(column)] = value;
  return out;
}
