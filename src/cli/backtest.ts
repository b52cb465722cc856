import { createReadStream } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadRulesFile } from '../adapters/local/FileRulesSource.js';
import { type BacktestReport, backtestHistory, type HitStats, type RuleSetBacktest } from '../pipeline/backtest.js';
import { CliInputError, historyContext, historyOptions } from './history.js';
import { ProgressBar } from './progress.js';
import { int, money, ratio, table } from './table.js';

/** `fraudmini backtest <labelled.csv> --rules <rules> [--against <other rules>] [--map …] [--json]` */
export async function backtestCommand(args: string[], env: Record<string, string | undefined>): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      rules: { type: 'string' },
      against: { type: 'string' },
      map: { type: 'string' },
      'label-delay': { type: 'string' },
      'data-dir': { type: 'string' },
      json: { type: 'boolean' },
    },
    strict: true,
    allowPositionals: true,
  });
  if (positionals.length !== 1) throw new CliInputError('backtest takes one labelled CSV file');
  const ctx = historyContext(positionals[0], values, env);
  const against = values.against !== undefined ? loadRulesFile(resolve(values.against)) : undefined;
  const bar = new ProgressBar({ total: ctx.size, label: 'backtesting' });
  let report: BacktestReport;
  try {
    report = await backtestHistory(createReadStream(ctx.input, { highWaterMark: 1 << 20 }), {
      ...historyOptions(ctx, (bytes, rows) => bar.update(bytes, rows)),
      against,
    });
  } finally {
    bar.done();
  }
  if (report.rows === 0) throw new CliInputError('no labelled rows: backtest needs a label column');
  if (values.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return 0;
  }
  process.stdout.write(renderBacktest(report));
  return 0;
}

const HEADER = ['', 'hits', 'fraud hits', 'precision', 'recall', 'per 1k', 'money caught', 'money flagged'];

function statRow(name: string, s: HitStats): string[] {
  return [
    name,
    int(s.hits),
    int(s.frauds),
    ratio(s.precision),
    ratio(s.recall),
    s.per1000.toFixed(1),
    money(s.moneyCaught),
    money(s.moneyFlagged),
  ];
}

function setTable(b: RuleSetBacktest): string {
  const rules = Object.entries(b.rules).map(([id, s]) => statRow(id, s));
  const outcomes = (['block', 'review', 'flagged'] as const).map((o) => statRow(`outcome: ${o}`, b.outcomes[o]));
  return table([`rules ${b.version}`, ...HEADER.slice(1)], [...rules, ...outcomes]);
}

/** The human form of a backtest. */
export function renderBacktest(r: BacktestReport): string {
  let out =
    `${int(r.rows)} labelled transactions, ${int(r.frauds)} fraud (${money(r.fraudMoney)} in fraud)\n\n` +
    `${setTable(r.base)}\n`;
  if (r.against) {
    out += `\n${setTable(r.against)}\n\n`;
    const a = r.base.outcomes.flagged;
    const b = r.against.outcomes.flagged;
    const delta = (x: number, y: number): string =>
      Number.isFinite(x) && Number.isFinite(y) ? `${y - x >= 0 ? '+' : ''}${(y - x).toFixed(3)}` : '-';
    out += `${table(
      ['flagged (review + block)', r.base.version, r.against.version, 'difference'],
      [
        ['hits', int(a.hits), int(b.hits), `${b.hits - a.hits >= 0 ? '+' : ''}${int(b.hits - a.hits)}`],
        ['precision', ratio(a.precision), ratio(b.precision), delta(a.precision, b.precision)],
        ['recall', ratio(a.recall), ratio(b.recall), delta(a.recall, b.recall)],
        ['per 1k', a.per1000.toFixed(1), b.per1000.toFixed(1), delta(a.per1000, b.per1000)],
        ['money caught', money(a.moneyCaught), money(b.moneyCaught), money(b.moneyCaught - a.moneyCaught)],
      ],
    )}\n`;
  }
  return out;
}
