import type { ChaosResult } from './runChaos.js';

/** The summary table of a chaos run, then its violations (if any) and where its data dir is. */
export function formatSummary(r: ChaosResult): string {
  const n = (v: number): string => v.toLocaleString('en-US');
  const tally = (items: string[]): string => {
    const counts = new Map<string, number>();
    for (const i of items) counts.set(i, (counts.get(i) ?? 0) + 1);
    return [...counts].map(([k, v]) => `${k} ${v}`).join(', ');
  };
  const e = r.end;
  const api = r.api;
  let answers = 0;
  for (const list of api.answers.values()) answers += list.length;
  const rows: [string, string][] = [
    ['seed', String(r.seed)],
    ['kills', `${r.kills.length} (aimed at: ${tally(r.kills.map((k) => k.target)) || '-'}; ${r.kills.filter((k) => k.fellBack).length} not seen in time)`],
    ['landed during', tally(r.kills.flatMap((k) => k.during)) || '-'],
    ['starts', `${r.starts} (${r.resumed} resumed an unfinished file; ready in ${readiness(r.readyMs)})`],
    ['recovered errors', `file processing ${r.recoveredErrors.fileProcessing}, requests ${r.recoveredErrors.requests}`],
    ['files', e ? `${r.files} (processed ${e.files.processed}, failed ${e.files.failed})` : String(r.files)],
    ['rows', e ? `${n(e.rows.total)} (decided ${n(e.rows.decided)}, duplicates ${n(e.rows.duplicates)}, rejected ${n(e.rows.rejected)})` : '-'],
    [
      'POSTs',
      `${n(api.answers.size + api.rejected.size)} transactions (${n(api.rejected.size)} invalid), ${n(api.postRequests)} requests: ` +
        `${n(answers)} answered 2xx, ${n(api.postFailures)} refused/cut off/5xx, ${n(api.reposts)} re-POSTs`,
    ],
    ['labels', Object.entries(api.labelAnswers).map(([k, v]) => `${k} ${n(v)}`).join(', ') + (e ? `; ${n(e.labelsStored)} stored` : '')],
    ['decisions', e ? `${n(e.transactions)} (${n(e.rows.decided)} from files, ${n(e.postDecisions)} from POSTs)` : '-'],
    ['alerts', e ? `${n(e.alerts)} (alerts.jsonl lines ${n(e.jsonlLines)})` : '-'],
    [
      'webhook',
      e
        ? `${n(e.webhook.requests)} requests (${Object.entries(e.webhook.byFate).map(([k, v]) => `${k} ${n(v)}`).join(', ')}); ` +
          `${n(e.webhook.delivered)} alerts delivered, ${n(e.webhook.redelivered)} delivered again`
        : '-',
    ],
    ['violations', String(r.violations.length)],
    ['time', `${r.seconds.toFixed(1)} s`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  const lines = rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`);
  for (const v of r.violations) lines.push(`VIOLATION ${v}`);
  if (r.kept) lines.push(`data dir kept: ${r.dataDir}`);
  return lines.join('\n');
}

/** `median 0.8 s, max 2.1 s` of start-up times. */
function readiness(ms: number[]): string {
  if (ms.length === 0) return '-';
  const sorted = [...ms].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] as number;
  return `median ${(median / 1000).toFixed(1)} s, max ${((sorted[sorted.length - 1] as number) / 1000).toFixed(1)} s`;
}
