import { closeSync, openSync, renameSync, writeSync } from 'node:fs';
import type * as Handbook from '../../src/synth/handbook.js';
import { fromDist } from './dist.js';

// The simulator itself is product code (`fraudmini generate --style handbook`); the benchmarks
// load it from the tsc build, as they load everything they measure.
const handbook = await fromDist<typeof Handbook>('synth/handbook.js');

/** Options of the handbook simulation (see src/synth/handbook.ts). */
export type HandbookOptions = Handbook.HandbookOptions;
/** Simulated transactions as columns, in time order. */
export type HandbookTransactions = Handbook.HandbookTransactions;
/** The header of the written CSV: the handbook's columns in its order. */
export const HANDBOOK_HEADER = handbook.HANDBOOK_HEADER;
/** Runs the simulation (see src/synth/handbook.ts). */
export const simulateHandbook = handbook.simulateHandbook;

/**
 * Writes the first `rows` transactions (all when undefined) as the handbook's CSV, to `file`
 * through a `.part` file renamed at the end (so a stopped run leaves no half file under the name).
 * Returns the number of rows written.
 */
export function writeHandbookCsv(t: HandbookTransactions, file: string, start: string, rows?: number): number {
  const part = `${file}.part`;
  const fd = openSync(part, 'w');
  try {
    for (const chunk of handbook.handbookCsv(t, start, rows)) writeSync(fd, chunk);
  } finally {
    closeSync(fd);
  }
  renameSync(part, file);
  return Math.min(rows ?? t.length, t.length);
}
