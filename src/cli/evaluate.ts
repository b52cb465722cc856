import { createReadStream, renameSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { evaluateHistory, SYSTEMS } from '../pipeline/evaluate.js';
import { renderEvaluationHtml } from '../report/evaluationHtml.js';
import { CliInputError, HISTORY_FLAGS, historyContext, readModel, writableTarget, historyOptions } from './history.js';
import { ProgressBar } from './progress.js';
import { protocolCommand } from './protocol.js';
import { int, ratio, table } from './table.js';

/**
 * `fraudmini evaluate <labelled.csv> --model m.json [--from DATE] [--to DATE] [--label-delay 7d]
 *  [--report report.html] [--json]`, or with `--protocol handbook [--seeds 1,2,3,4,5]` the
 * handbook's protocol (see {@link protocolCommand}).
 */
export async function evaluateCommand(args: string[], env: Record<string, string | undefined>): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      model: { type: 'string' },
      ...HISTORY_FLAGS,
      report: { type: 'string' },
      json: { type: 'boolean' },
      protocol: { type: 'string' },
      seeds: { type: 'string' },
      customers: { type: 'string' },
      terminals: { type: 'string' },
      trees: { type: 'string' },
    },
    strict: true,
    allowPositionals: true,
  });
  if (values.protocol !== undefined) return protocolCommand(positionals, values, env);
  for (const flag of ['seeds', 'customers', 'terminals', 'trees'] as const) {
    if (values[flag] !== undefined) throw new CliInputError(`--${flag} goes with --protocol handbook`);
  }
  if (positionals.length !== 1) throw new CliInputError('evaluate takes one labelled CSV file');
  if (values.model === undefined) throw new CliInputError('evaluate needs --model <model.json>');
  if (values.report !== undefined) writableTarget(values.report, '--report');
  const model = readModel(values.model);
  const ctx = historyContext(positionals[0], values, env);
  const bar = new ProgressBar({ total: ctx.size, label: 'evaluating' });
  let report: Awaited<ReturnType<typeof evaluateHistory>>;
  try {
    report = await evaluateHistory(createReadStream(ctx.input, { highWaterMark: 1 << 20 }), {
      ...historyOptions(ctx, (bytes, rows) => bar.update(bytes, rows)),
      model,
    });
  } finally {
    bar.done();
  }
  if (report.rows === 0) throw new CliInputError('no labelled rows in the evaluation period');
  if (values.report !== undefined) {
    writeFileSync(`${values.report}.part`, renderEvaluationHtml(report), { mode: 0o600 });
    renameSync(`${values.report}.part`, values.report);
  }
  if (values.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return 0;
  }
  const rows = SYSTEMS.map((name) => {
    const m = report.systems[name];
    return [
      name,
      ratio(m.auc),
      ratio(m.averagePrecision),
      ratio(m.cardPrecisionAt100),
      ratio(m.atReview.precision),
      ratio(m.atReview.recall),
      ratio(m.atBlock.precision),
      ratio(m.atBlock.recall),
    ];
  });
  process.stdout.write(
    `${report.file}: ${int(report.rows)} labelled transactions (${int(report.frauds)} fraud) over ${report.days} days` +
      ` from ${report.from ?? 'the start'} to ${report.to ?? 'the end'}; model ${report.modelVersion}, rules ${report.rulesVersion}\n\n` +
      `${table(
        [
          'system',
          'AUC',
          'avg precision',
          'card P@100',
          `P@review(${report.systems.rules.atReview.threshold})`,
          'R@review',
          `P@block(${report.systems.rules.atBlock.threshold})`,
          'R@block',
        ],
        rows,
      )}\n` +
      (values.report !== undefined ? `\nreport: ${values.report}\n` : ''),
  );
  return 0;
}
