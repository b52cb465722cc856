import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { ReceiptCounts } from '../../src/core/receipt.js';
import type { ApiLog } from './ApiClients.js';
import type { WebhookRequest } from './FlakyWebhook.js';
import type { PlannedFile, PlannedPost } from './workload.js';

/** What the checks read besides the data dir. */
export interface VerifyInput {
  dataDir: string;
  files: PlannedFile[];
  posts: PlannedPost[];
  api: ApiLog;
  webhook: readonly WebhookRequest[];
}

/** Figures of the end state, for the summary. */
export interface EndState {
  files: { processed: number; failed: number };
  rows: { total: number; decided: number; duplicates: number; rejected: number };
  transactions: number;
  /** Transactions stored from POSTs (not from a file). */
  postDecisions: number;
  alerts: number;
  jsonlLines: number;
  labelsStored: number;
  webhook: { requests: number; byFate: Record<string, number>; delivered: number; redelivered: number };
}

/** The result of the checks: every broken promise, in words, and the figures. */
export interface Verdict {
  violations: string[];
  end: EndState;
}

interface FileRow {
  id: number;
  name: string;
  status: string;
  counts: string;
}

interface TxRow {
  transaction_id: string;
  file_id: number | null;
  row: number | null;
  outcome: string;
  score: number;
  label: number | null;
}

/**
 * Checks the end state of a chaos run (fraudmini stopped) against what was sent, from the SQLite
 * database, the receipts, the output folders, `alerts.jsonl` and the webhook's log:
 * - every row of every file is exactly one decision or one rejection, and the receipt's counts
 *   add up and match the database;
 * - every POST answered 2xx has exactly one decision, the one it was answered with, and at most
 *   one answer calls it new; invalid POSTs have none;
 * - labels: what the API answered is what is stored, and nothing unsent is stored;
 * - alerts: one per transaction at most, each in `alerts.jsonl` exactly once (that sink's promise
 *   across crashes), each received by the webhook at least once (its promise), all cursors at the end;
 * - nothing left in `inbox/` or `processing/`, no temporary files, no unexpected outputs.
 */
export function verify(input: VerifyInput): Verdict {
  const violations: string[] = [];
  const fail = (msg: string): void => {
    // Thousands of rows can break the same way: the first 50 messages say enough.
    if (violations.length < 50) violations.push(msg);
    else if (violations.length === 50) violations.push('... (more violations not listed)');
  };
  const db = new Database(join(input.dataDir, 'fraudmini.db'), { readonly: true, fileMustExist: true });
  try {
    const txs = new Map<string, TxRow>();
    for (const t of db
      .prepare('SELECT transaction_id, file_id, row, outcome, score, label FROM transactions')
      .all() as TxRow[]) {
      txs.set(t.transaction_id, t);
    }
    const fileRows = db.prepare('SELECT id, name, status, counts FROM files').all() as FileRow[];
    const rows = checkFiles(db, input, txs, fileRows, fail);
    const postDecisions = checkPosts(input, txs, fail);
    const labelsStored = checkLabels(db, input.api, txs, fail);
    const alerts = checkAlerts(db, input, txs, fail);
    checkCounters(db, txs.size, alerts.count, rows, fail);
    checkFolders(input, fail);
    return {
      violations,
      end: {
        files: {
          processed: fileRows.filter((f) => f.status === 'processed').length,
          failed: fileRows.filter((f) => f.status === 'failed').length,
        },
        rows,
        transactions: txs.size,
        postDecisions,
        alerts: alerts.count,
        jsonlLines: alerts.jsonlLines,
        labelsStored,
        webhook: alerts.webhook,
      },
    };
  } finally {
    db.close();
  }
}

/** Each file: one ledger entry, a receipt that adds up and matches the database, row by row. */
function checkFiles(
  db: Database.Database,
  input: VerifyInput,
  txs: Map<string, TxRow>,
  fileRows: FileRow[],
  fail: (msg: string) => void,
): EndState['rows'] {
  const totals = { total: 0, decided: 0, duplicates: 0, rejected: 0 };
  const byFile = new Map<number, TxRow[]>();
  for (const t of txs.values()) {
    if (t.file_id === null) continue;
    const list = byFile.get(t.file_id) ?? [];
    list.push(t);
    byFile.set(t.file_id, list);
  }
  const planned = new Set(input.files.map((f) => f.name));
  for (const f of fileRows) if (!planned.has(f.name)) fail(`the ledger holds a file nobody dropped: ${f.name}`);
  const rejectionsOf = db.prepare('SELECT row FROM rejections WHERE file_id = ? ORDER BY row').pluck();
  const alertsOf = db
    .prepare('SELECT count(*) FROM alerts a JOIN transactions t ON t.transaction_id = a.transaction_id WHERE t.file_id = ?')
    .pluck();
  for (const file of input.files) {
    const entries = fileRows.filter((r) => r.name === file.name);
    if (entries.length !== 1) {
      fail(`${file.name}: ${entries.length} ledger entries, expected exactly 1`);
      continue;
    }
    const entry = entries[0] as FileRow;
    const folder = file.brokenHeader ? 'failed' : 'processed';
    const stem = file.name.replace(/\.csv$/, '');
    if (entry.status !== folder) {
      fail(`${file.name}: status ${entry.status}, expected ${folder}`);
      continue;
    }
    const receiptPath = join(input.dataDir, folder, `${stem}.receipt.json`);
    if (!existsSync(receiptPath)) {
      fail(`${file.name}: no receipt at ${folder}/${stem}.receipt.json`);
      continue;
    }
    const receipt = JSON.parse(readFileSync(receiptPath, 'utf8')) as { status: string; counts: ReceiptCounts };
    const c = receipt.counts;
    if (JSON.stringify(c) !== JSON.stringify(JSON.parse(entry.counts))) {
      fail(`${file.name}: receipt counts ${JSON.stringify(c)} differ from the ledger's ${entry.counts}`);
    }
    if (c.rows !== c.accepted + c.rejected) fail(`${file.name}: rows ${c.rows} != accepted ${c.accepted} + rejected ${c.rejected}`);
    if (c.accepted !== c.decided + c.duplicates) {
      fail(`${file.name}: accepted ${c.accepted} != decided ${c.decided} + duplicates ${c.duplicates}`);
    }
    if (c.rows !== file.ids.length) fail(`${file.name}: receipt says ${c.rows} rows, the file has ${file.ids.length}`);
    const rejected = rejectionsOf.all(entry.id) as number[];
    if (c.rejected !== file.invalidRows.size || rejected.length !== file.invalidRows.size || rejected.some((r) => !file.invalidRows.has(r))) {
      fail(
        `${file.name}: rejected rows [${rejected.slice(0, 10).join(',')}${rejected.length > 10 ? ',...' : ''}] (receipt ${c.rejected}), ` +
          `expected the ${file.invalidRows.size} invalid rows`,
      );
    }
    const stored = byFile.get(entry.id) ?? [];
    if (c.decided !== stored.length) fail(`${file.name}: receipt says ${c.decided} decided, the database holds ${stored.length}`);
    for (const t of stored) {
      const row = t.row ?? 0;
      if (file.ids[row - 1] !== t.transaction_id || file.invalidRows.has(row)) {
        fail(`${file.name}: decision ${t.transaction_id} points at row ${row}, which holds ${file.ids[row - 1] ?? 'nothing'}`);
      }
    }
    file.ids.forEach((id, i) => {
      if (!file.invalidRows.has(i + 1) && !txs.has(id)) fail(`${file.name}: row ${i + 1} (${id}) has no decision`);
    });
    const alerts = alertsOf.get(entry.id) as number;
    if (c.alerts !== alerts) fail(`${file.name}: receipt says ${c.alerts} alerts, the database holds ${alerts} for its rows`);
    if (!file.brokenHeader) {
      const copy = join(input.dataDir, 'processed', file.name);
      const lines = existsSync(copy) ? readFileSync(copy, 'utf8').split('\n').filter((l) => l !== '').length : -1;
      if (lines !== file.ids.length + 1) fail(`${file.name}: masked copy has ${lines} lines, expected ${file.ids.length + 1}`);
    } else if (!existsSync(join(input.dataDir, 'failed', file.name))) {
      fail(`${file.name}: no masked copy in failed/`);
    }
    totals.total += c.rows;
    totals.decided += c.decided;
    totals.duplicates += c.duplicates;
    totals.rejected += c.rejected;
  }
  return totals;
}

/**
 * Each valid POST: answered, stored once, stored as answered; at most one answer says it was new,
 * none if a file decided it. Invalid POSTs: no decision. Transactions from no file: POSTed.
 * Returns how many transactions POSTs created.
 */
function checkPosts(input: VerifyInput, txs: Map<string, TxRow>, fail: (msg: string) => void): number {
  const posted = new Set(input.posts.map((p) => p.id));
  let fromPosts = 0;
  for (const t of txs.values()) {
    if (t.file_id !== null) continue;
    fromPosts++;
    if (!posted.has(t.transaction_id)) fail(`transaction ${t.transaction_id} is stored without a file, and was never POSTed`);
  }
  for (const p of input.posts) {
    const stored = txs.get(p.id);
    if (p.invalid) {
      if (stored) fail(`invalid POST ${p.id} has a decision`);
      if (!input.api.rejected.has(p.id)) fail(`invalid POST ${p.id} was not answered 400`);
      continue;
    }
    const answers = input.api.answers.get(p.id) ?? [];
    if (answers.length === 0) {
      fail(`POST ${p.id} was never answered 2xx`);
      continue;
    }
    if (!stored) {
      fail(`POST ${p.id} was answered ${answers[0]?.status} but has no decision`);
      continue;
    }
    for (const a of answers) {
      if (a.outcome !== stored.outcome || a.score !== stored.score) {
        fail(`POST ${p.id} was answered ${a.outcome} ${a.score}, the database holds ${stored.outcome} ${stored.score}`);
        break;
      }
    }
    const fresh = answers.filter((a) => !a.duplicate).length;
    if (fresh > 1) fail(`POST ${p.id} was answered as a new decision ${fresh} times`);
    if (fresh > 0 && stored.file_id !== null) fail(`POST ${p.id} was answered as new, but a file decided it`);
  }
  return fromPosts;
}

/** What the label API answered is what is stored; nothing is stored that was not sent. Returns labels stored. */
function checkLabels(db: Database.Database, api: ApiLog, txs: Map<string, TxRow>, fail: (msg: string) => void): number {
  const stored = new Map<string, number>();
  for (const r of db.prepare('SELECT transaction_id, label FROM labels').all() as { transaction_id: string; label: number }[]) {
    stored.set(r.transaction_id, r.label);
    const name = r.label === 1 ? 'fraud' : 'legit';
    if (!api.labelsSent.has(`${r.transaction_id}\t${name}`)) fail(`label ${name} of ${r.transaction_id} is stored but was never sent`);
    if (!txs.has(r.transaction_id)) fail(`label of ${r.transaction_id} is stored for a transaction that does not exist`);
  }
  for (const l of api.labels) {
    const want = l.label === 'fraud' ? 1 : 0;
    // A label reported through the API, else the one the file carried (null: none).
    const known = stored.get(l.id) ?? txs.get(l.id)?.label ?? undefined;
    if (l.status === 201 && stored.get(l.id) !== want) fail(`label ${l.label} of ${l.id} was answered 201 but is stored as ${stored.get(l.id)}`);
    if (l.status === 200 && known !== want) fail(`label ${l.label} of ${l.id} was answered 200 (unchanged) but is ${known}`);
    if (l.status === 409 && (known === undefined || known === want)) {
      fail(`label ${l.label} of ${l.id} was answered 409 (conflict) but is ${known}`);
    }
  }
  return stored.size;
}

/** Alerts: one per transaction, JSONL exactly once, webhook at least once, every cursor at the end. */
function checkAlerts(
  db: Database.Database,
  input: VerifyInput,
  txs: Map<string, TxRow>,
  fail: (msg: string) => void,
): { count: number; jsonlLines: number; webhook: EndState['webhook'] } {
  const alerts = db.prepare('SELECT id, transaction_id FROM alerts ORDER BY id').all() as { id: number; transaction_id: string }[];
  const ids = new Set(alerts.map((a) => a.id));
  const txIds = new Set<string>();
  for (const a of alerts) {
    if (txIds.has(a.transaction_id)) fail(`transaction ${a.transaction_id} has more than one alert`);
    txIds.add(a.transaction_id);
    if (!txs.has(a.transaction_id)) fail(`alert ${a.id} is for ${a.transaction_id}, which has no decision`);
  }
  const last = alerts[alerts.length - 1]?.id ?? 0;
  const cursors = new Map(
    (db.prepare('SELECT sink, cursor FROM deliveries').all() as { sink: string; cursor: number }[]).map((r) => [r.sink, r.cursor]),
  );
  for (const sink of ['console', 'jsonl', 'webhook']) {
    const cursor = cursors.get(sink) ?? 0;
    if (cursor !== last) fail(`alert sink ${sink} stopped at alert ${cursor}, the last alert is ${last}`);
  }

  // alerts.jsonl: exactly once, whole lines, in id order.
  const jsonlPath = join(input.dataDir, 'alerts.jsonl');
  const lines = existsSync(jsonlPath) ? readFileSync(jsonlPath, 'utf8').split('\n') : [];
  if (lines.length > 0 && lines[lines.length - 1] !== '') fail('alerts.jsonl does not end with a newline');
  const inJsonl = new Set<number>();
  let previous = 0;
  let jsonlLines = 0;
  lines.forEach((line, i) => {
    if (line === '') return;
    jsonlLines++;
    let id: unknown;
    try {
      id = (JSON.parse(line) as { id?: unknown }).id;
    } catch {
      fail(`alerts.jsonl line ${i + 1} is not a whole JSON alert`);
      return;
    }
    if (typeof id !== 'number') return fail(`alerts.jsonl line ${i + 1} has no alert id`);
    if (inJsonl.has(id)) fail(`alerts.jsonl holds alert ${id} twice (line ${i + 1})`);
    if (id <= previous) fail(`alerts.jsonl line ${i + 1}: alert ${id} after ${previous}`);
    if (!ids.has(id)) fail(`alerts.jsonl holds alert ${id}, which is not in the database`);
    inJsonl.add(id);
    previous = id;
  });
  for (const id of ids) if (!inJsonl.has(id)) fail(`alert ${id} is missing from alerts.jsonl`);

  // Webhook: at least once.
  const accepted = new Map<number, number>();
  const byFate: Record<string, number> = {};
  for (const r of input.webhook) {
    byFate[r.fate] = (byFate[r.fate] ?? 0) + 1;
    if (r.fate === 'ok') for (const id of r.ids) accepted.set(id, (accepted.get(id) ?? 0) + 1);
  }
  for (const id of ids) if (!accepted.has(id)) fail(`alert ${id} never reached the webhook`);
  let redelivered = 0;
  for (const [id, n] of accepted) {
    redelivered += n - 1;
    if (!ids.has(id)) fail(`the webhook received alert ${id}, which is not in the database`);
  }
  return {
    count: alerts.length,
    jsonlLines,
    webhook: { requests: input.webhook.length, byFate, delivered: accepted.size, redelivered },
  };
}

/** The stats counters (kept in the same transactions as the rows) agree with the rows. */
function checkCounters(
  db: Database.Database,
  transactions: number,
  alerts: number,
  rows: EndState['rows'],
  fail: (msg: string) => void,
): void {
  const counters = new Map(
    (db.prepare('SELECT name, value FROM counters').all() as { name: string; value: number }[]).map((r) => [r.name, r.value]),
  );
  const expect: [string, number][] = [
    ['transactions', transactions],
    ['alerts', alerts],
    ['rejected', rows.rejected],
    ['duplicates', rows.duplicates],
  ];
  for (const [name, want] of expect) {
    const got = counters.get(name) ?? 0;
    if (got !== want) fail(`counter ${name} is ${got}, the stored rows say ${want}`);
  }
}

/** Nothing left in the inbox or `processing/`, no temporary files, only the expected outputs. */
function checkFolders(input: VerifyInput, fail: (msg: string) => void): void {
  const list = (folder: string): string[] => {
    try {
      return readdirSync(join(input.dataDir, folder));
    } catch {
      return [];
    }
  };
  for (const folder of ['inbox', 'processing']) {
    const left = list(folder);
    if (left.length > 0) fail(`${folder}/ still holds ${left.slice(0, 5).join(', ')}${left.length > 5 ? ', ...' : ''}`);
  }
  const expected = { processed: new Set<string>(), failed: new Set<string>() };
  for (const f of input.files) {
    const set = f.brokenHeader ? expected.failed : expected.processed;
    set.add(f.name);
    set.add(f.name.replace(/\.csv$/, '.receipt.json'));
  }
  for (const folder of ['processed', 'failed'] as const) {
    for (const name of list(folder)) {
      if (!expected[folder].has(name)) fail(`${folder}/ holds an unexpected file ${name}`);
    }
  }
}
