/** Renders rows as an aligned text table (first column left, the rest right-aligned). */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** A ratio as 0.000, or `-` when undefined. */
export function ratio(v: number): string {
  return Number.isFinite(v) ? v.toFixed(3) : '-';
}

/** An integer with thousands separators. */
export function int(v: number): string {
  return Math.round(v).toLocaleString('en-US');
}

/** Money with thousands separators and no decimals. */
export function money(v: number): string {
  return v.toLocaleString('en-US', { maximumFractionDigits: 0 });
}
