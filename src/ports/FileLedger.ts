import type { Receipt, ReceiptCounts, Rejection } from '../core/receipt.js';

/** Lifecycle of a file: claimed from the inbox, processing rows, finalizing outputs, done. */
export type FileStatus = 'processing' | 'finalizing' | 'processed' | 'failed';

/** What is known about one file. */
export interface FileRecord {
  id: number;
  /** The name it arrived under (`tx.csv`). */
  name: string;
  /** Object key of the raw file while it is worked on. */
  workKey: string;
  status: FileStatus;
  rowsDone: number;
  counts: ReceiptCounts;
  startedAt: string;
  finishedAt?: string;
  error?: string;
  rulesVersion?: string;
}

/** Durable progress of files, so a crash resumes where the last commit left off. */
export interface FileLedger {
  /** Registers a newly claimed file. */
  beginFile(name: string): FileRecord;
  getFile(id: number): FileRecord | undefined;
  /** Files not yet processed or failed, oldest first. */
  unfinishedFiles(): FileRecord[];
  setStatus(id: number, status: FileStatus, fields?: { error?: string; rulesVersion?: string }): void;
  /** Rejections of a file in row order, at most `limit`. */
  rejections(id: number, limit: number): Rejection[];
  /** Saves the final receipt and marks the file done. */
  finishFile(id: number, receipt: Receipt): void;
}
