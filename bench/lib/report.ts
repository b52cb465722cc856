import { type Summary, summarize } from './stats.js';

/** A figure measured several times. */
export interface Measured {
  /** What was measured, in words. */
  name: string;
  unit: string;
  summary: Summary;
}

/** One row of the results table. */
export interface BenchResult {
  /** Stable id, e.g. `core.rules`. */
  id: string;
  /** Benchmark number, as in bench/README.md (1–7). */
  benchmark: number;
  figure: Measured;
  higherIsBetter: boolean;
  baseline?: Measured;
  /** figure median / baseline median. */
  ratio?: number;
  target?: { text: string; met: boolean };
  /** Anything a reader needs to judge the figure (sizes, contention, errors). */
  notes?: string[];
}

/** A figure from repeated samples. */
export function measured(name: string, unit: string, samples: readonly number[]): Measured {
  return { name, unit, summary: summarize(samples) };
}

/** A result with its ratio to the baseline filled in. */
export function result(r: Omit<BenchResult, 'ratio'>): BenchResult {
  const ratio = r.baseline ? r.figure.summary.median / r.baseline.summary.median : undefined;
  return ratio !== undefined && Number.isFinite(ratio) ? { ...r, ratio } : r;
}

/** A number for the table: thousands separators, a sensible number of decimals. */
export function fmt(x: number): string {
  if (!Number.isFinite(x)) return '-';
  const abs = Math.abs(x);
  const digits = abs >= 1000 ? 0 : abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function figureCell(m: Measured): string {
  return `${fmt(m.summary.median)} ${m.unit}`;
}

function spreadCell(m: Measured): string {
  const s = m.summary;
  return s.samples.length > 1 ? `${fmt(s.min)}–${fmt(s.max)}` : 'n=1';
}

/** The results as a plain-text table (also valid Markdown). */
export function table(results: readonly BenchResult[]): string {
  const head = ['#', 'benchmark', 'median', 'min–max', 'n', 'baseline (median)', 'ratio', 'target', 'met'];
  const rows = results.map((r) => [
    String(r.benchmark),
    r.figure.name,
    figureCell(r.figure),
    spreadCell(r.figure),
    String(r.figure.summary.samples.length),
    r.baseline ? `${r.baseline.name}: ${figureCell(r.baseline)}` : '-',
    r.ratio !== undefined ? `${r.ratio.toFixed(r.ratio >= 10 ? 1 : 2)}×` : '-',
    r.target?.text ?? '-',
    r.target ? (r.target.met ? 'yes' : 'NO') : '-',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((c, i) => (i >= 2 && i <= 6 ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i >= 2 && i <= 6 ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`;
  return [line(head), rule, ...rows.map(line)].join('\n');
}
