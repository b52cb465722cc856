import { addBatch, emptyCounts, type Receipt, type Rejection } from '../../src/core/receipt.js';
import type { AlertQuery, DecidedItem, Stats, StoredTransaction } from '../../src/core/records.js';
import type { RulesChange } from '../../src/core/rulesChange.js';
import type { Decision, Outcome } from '../../src/core/scoring.js';
import type { Label } from '../../src/core/transaction.js';
import { type Alert, alertFor, isAlerting, transactionView } from '../../src/core/views.js';
import type { AlertOutbox } from '../../src/ports/AlertOutbox.js';
import type { BatchCommitter, FileCheckpoint } from '../../src/ports/BatchCommitter.js';
import type { DecisionStore, StatsDeltas, StoredDecisions } from '../../src/ports/DecisionStore.js';
import type { FileLedger, FileRecord, FileStatus } from '../../src/ports/FileLedger.js';
import type { LabelStore, PutLabelResult } from '../../src/ports/LabelStore.js';
import type { RulesAuditLog } from '../../src/ports/RulesAuditLog.js';

type Counter = 'transactions' | 'alerts' | 'rejected' | 'duplicates' | Outcome;

/**
 * The local state ports in memory, sharing one state as `SqliteStateStore` does: a batch committed
 * through {@link BatchCommitter} is visible through {@link DecisionStore}, its checkpoint through
 * {@link FileLedger}, its alerts through {@link AlertOutbox}. Every value goes in and out as a
 * copy, so a caller can never change what is stored by mutating what it passed or got back.
 *
 * @example
 * const state = new InMemoryStateStore();
 * await state.storeDecisions([{ transaction: makeTx(), decision: makeDecision() }]);
 */
export class InMemoryStateStore
  implements DecisionStore, BatchCommitter, FileLedger, AlertOutbox, LabelStore, RulesAuditLog
{
  private readonly decisions = new Map<string, DecidedItem>();
  private readonly alerts: Alert[] = [];
  private readonly alertByTx = new Map<string, Alert>();
  private readonly counters = new Map<Counter, number>();
  private readonly files = new Map<number, FileRecord>();
  private readonly fileRejections = new Map<number, Map<number, Rejection>>();
  private readonly cursors = new Map<string, number>();
  private readonly labels = new Map<string, { label: Label; knownAt: number }>();
  private readonly changes: RulesChange[] = [];
  private nextAlertId = 1;
  private nextFileId = 1;

  async findDecisions(ids: readonly string[]): Promise<Map<string, Decision>> {
    const found = new Map<string, Decision>();
    for (const id of ids) {
      const item = this.decisions.get(id);
      if (item) found.set(id, structuredClone(item.decision));
    }
    return found;
  }

  async storeDecisions(items: readonly DecidedItem[]): Promise<StoredDecisions> {
    const stored: DecidedItem[] = [];
    const duplicates: string[] = [];
    const taken = new Set<string>();
    for (const item of items) {
      const id = item.decision.transaction_id;
      if (this.decisions.has(id) || taken.has(id)) {
        duplicates.push(id);
        continue;
      }
      taken.add(id);
      stored.push(item);
    }
    const alerts = this.insert(stored);
    return { stored: [...stored], duplicates, alerts };
  }

  /** Stores a batch whole, or nothing of it when one of its ids is stored already (or repeated). */
  async commit(items: readonly DecidedItem[], checkpoint?: FileCheckpoint): Promise<Alert[]> {
    const ids = new Set<string>();
    for (const it of items) {
      const id = it.decision.transaction_id;
      if (this.decisions.has(id) || ids.has(id)) throw new Error(`UNIQUE constraint failed: transaction ${id}`);
      ids.add(id);
    }
    const file = checkpoint ? this.files.get(checkpoint.fileId) : undefined;
    if (checkpoint && !file) throw new Error(`file ${checkpoint.fileId} is not in the ledger`);
    const alerts = this.insert(items);
    if (checkpoint && file) {
      const kept = this.fileRejections.get(file.id) ?? new Map<number, Rejection>();
      for (const r of checkpoint.rejections) if (!kept.has(r.row)) kept.set(r.row, structuredClone(r));
      this.fileRejections.set(file.id, kept);
      const outcomes = { allow: 0, review: 0, block: 0 };
      for (const it of items) outcomes[it.decision.outcome]++;
      file.counts = addBatch(file.counts, {
        decided: items.length,
        duplicates: checkpoint.duplicates,
        rejected: checkpoint.rejections.length,
        alerts: alerts.length,
        outcomes,
      });
      file.rowsDone = checkpoint.rowsDone;
      this.bump('rejected', checkpoint.rejections.length);
      this.bump('duplicates', checkpoint.duplicates);
    }
    return alerts;
  }

  /** Nothing is pending: {@link commit} stores a batch before it returns. */
  pending(_id: string): Promise<Decision> | undefined {
    return undefined;
  }

  pendingIds(_ids: readonly string[]): ReadonlySet<string> {
    return new Set();
  }

  async findAlerts(ids: readonly string[]): Promise<Alert[]> {
    const out = [...new Set(ids)].flatMap((id) => {
      const a = this.alertByTx.get(id);
      return a ? [structuredClone(a)] : [];
    });
    return out.sort((a, b) => a.id - b.id);
  }

  async getTransaction(id: string): Promise<StoredTransaction | undefined> {
    const item = this.decisions.get(id);
    if (!item) return undefined;
    return { transaction: transactionView(structuredClone(item.transaction)), decision: structuredClone(item.decision) };
  }

  async listAlerts(q: AlertQuery): Promise<Alert[]> {
    const since = q.since;
    const matching =
      since !== undefined ? this.alerts.filter((a) => a.created_at >= since) : this.alerts.filter((a) => a.id > (q.afterId ?? 0));
    return structuredClone(matching.slice(0, Math.max(0, q.limit)));
  }

  async stats(): Promise<Stats> {
    const n = (c: Counter): number => this.counters.get(c) ?? 0;
    const byStatus = (s: FileStatus[]): number => [...this.files.values()].filter((f) => s.includes(f.status)).length;
    return {
      transactions: n('transactions'),
      decisions: n('transactions'),
      alerts: n('alerts'),
      rejected: n('rejected'),
      duplicates: n('duplicates'),
      outcomes: { allow: n('allow'), review: n('review'), block: n('block') },
      files: {
        processed: byStatus(['processed']),
        failed: byStatus(['failed']),
        processing: byStatus(['processing', 'finalizing']),
      },
    };
  }

  async count(deltas: StatsDeltas): Promise<void> {
    this.bump('rejected', deltas.rejected ?? 0);
    this.bump('duplicates', deltas.duplicates ?? 0);
  }

  // ---- file ledger ----

  async beginFile(name: string): Promise<FileRecord> {
    const id = this.nextFileId++;
    const file: FileRecord = {
      id,
      name,
      workKey: `processing/${id}-${name}`,
      status: 'processing',
      rowsDone: 0,
      counts: emptyCounts(),
      startedAt: new Date().toISOString(),
    };
    this.files.set(id, file);
    return structuredClone(file);
  }

  async getFile(id: number): Promise<FileRecord | undefined> {
    const f = this.files.get(id);
    return f ? structuredClone(f) : undefined;
  }

  async unfinishedFiles(): Promise<FileRecord[]> {
    return structuredClone([...this.files.values()].filter((f) => f.status === 'processing' || f.status === 'finalizing'));
  }

  async setStatus(id: number, status: FileStatus, fields: { error?: string; rulesVersion?: string } = {}): Promise<void> {
    const f = this.files.get(id);
    if (!f) return;
    f.status = status;
    if (fields.error !== undefined) f.error = fields.error;
    if (fields.rulesVersion !== undefined) f.rulesVersion = fields.rulesVersion;
  }

  async rejections(id: number, limit: number): Promise<Rejection[]> {
    const kept = [...(this.fileRejections.get(id)?.values() ?? [])].sort((a, b) => a.row - b.row);
    return structuredClone(kept.slice(0, limit));
  }

  async finishFile(id: number, receipt: Receipt): Promise<void> {
    const f = this.files.get(id);
    if (!f) return;
    f.status = receipt.status;
    f.finishedAt = receipt.finished_at;
    f.counts = structuredClone(receipt.counts);
  }

  // ---- alert outbox cursors ----

  async deliveryCursor(sink: string): Promise<number> {
    return this.cursors.get(sink) ?? 0;
  }

  async setDeliveryCursor(sink: string, cursor: number): Promise<void> {
    this.cursors.set(sink, cursor);
  }

  // ---- labels ----

  async putLabel(id: string, label: Label, knownAt: number): Promise<PutLabelResult> {
    const prior = this.labels.get(id);
    if (!prior) {
      this.labels.set(id, { label, knownAt });
      return { status: 'recorded', label, knownAt };
    }
    return { status: prior.label === label ? 'unchanged' : 'conflict', ...prior };
  }

  async getLabel(id: string): Promise<{ label: Label; knownAt: number } | undefined> {
    const l = this.labels.get(id);
    return l ? { ...l } : undefined;
  }

  // ---- rules audit log ----

  recordRulesChange(change: RulesChange): void {
    this.changes.push(structuredClone(change));
  }

  rulesChanges(limit: number): RulesChange[] {
    return structuredClone([...this.changes].reverse().slice(0, Math.max(0, limit)));
  }

  private insert(items: readonly DecidedItem[]): Alert[] {
    const created: Alert[] = [];
    for (const item of items) {
      const copy = structuredClone(item);
      const id = copy.decision.transaction_id;
      this.decisions.set(id, copy);
      this.bump('transactions', 1);
      this.bump(copy.decision.outcome, 1);
      if (isAlerting(copy.decision)) {
        const alert: Alert = { id: this.nextAlertId++, ...alertFor(copy.transaction, copy.decision) };
        this.alerts.push(alert);
        this.alertByTx.set(id, alert);
        this.bump('alerts', 1);
        created.push(structuredClone(alert));
      }
    }
    return created;
  }

  private bump(c: Counter, n: number): void {
    if (n !== 0) this.counters.set(c, (this.counters.get(c) ?? 0) + n);
  }
}
