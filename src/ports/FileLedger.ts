import type { Receipt, ReceiptCounts, Rejection } from '../core/receipt.js';

/** Lifecycle of a file: claimed from the inbox, processing rows, finalizing outputs, done. */
export type FileStatus = 'processing' | 'finalizing' | 'processed' | 'failed';

/** What is known about one file. */
export interface FileRecord {
  id: number;
  /** The name it arrived under (`tx.csv`). */
  name: string;
  /** Object key of the raw file while it is worked on: `processing/<id>-<name>`. */
  workKey: string;
  status: FileStatus;
  rowsDone: number;
  counts: ReceiptCounts;
  startedAt: string;
  finishedAt?: string;
  error?: string;
  rulesVersion?: string;
}

/**
 * Durable progress of files, so a crash resumes where the last commit left off. Row progress,
 * counts and rejections move with the batches ({@link BatchCommitter} checkpoints); the ledger
 * registers files, moves them through their states and keeps their receipts.
 *
 * @example
 * const file = await ledger.beginFile('tx.csv'); // status 'processing', workKey 'processing/1-tx.csv'
 */
export interface FileLedger {
  /** Registers a newly claimed file. */
  beginFile(name: string): Promise<FileRecord>;
  getFile(id: number): Promise<FileRecord | undefined>;
  /** Files not yet processed or failed, oldest first. */
  unfinishedFiles(): Promise<FileRecord[]>;
  /** Moves a file to `status`; an `error` or rules version given is kept by later moves that give none. */
  setStatus(id: number, status: FileStatus, fields?: { error?: string; rulesVersion?: string }): Promise<void>;
  /** Rejections of a file in row order, at most `limit`. */
  rejections(id: number, limit: number): Promise<Rejection[]>;
  /** Saves the final receipt and marks the file done (its status, counts and end time from the receipt). */
  finishFile(id: number, receipt: Receipt): Promise<void>;
}
