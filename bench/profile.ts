import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function where(url: string, root: string): string {
  if (url === '') return '';
  if (url.startsWith('file://')) return relative(root, fileURLToPath(url));
  return url;
}

/**
 * Summarises a V8 `.cpuprofile` (from `node --cpu-prof`): self time per function and per file,
 * as shares of all samples, the idle time left out. What the README's hot-spot lists come from:
 * `node bench/run.mjs profile CPU.*.cpuprofile [top]`.
 */
export function summarizeProfile(file: string, root: string, top = 25): string {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) {
    const id = p.samples[i] as number;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (p.timeDeltas[i] ?? 0));
  }
  const fn = new Map<string, number>();
  const files = new Map<string, number>();
  let total = 0;
  for (const [id, us] of selfUs) {
    const n = byId.get(id);
    if (!n || n.callFrame.functionName === '(idle)') continue;
    const f = where(n.callFrame.url, root);
    const key = `${n.callFrame.functionName || '(anonymous)'}  ${f}${f ? `:${n.callFrame.lineNumber + 1}` : ''}`;
    fn.set(key, (fn.get(key) ?? 0) + us);
    const group = f || n.callFrame.functionName;
    files.set(group, (files.get(group) ?? 0) + us);
    total += us;
  }
  const list = (m: Map<string, number>, n: number): string =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, us]) => `  ${((100 * us) / total).toFixed(1).padStart(5)}%  ${k}`)
      .join('\n');
  return (
    `${file}: ${(total / 1e6).toFixed(2)} s of CPU samples (idle excluded)\n` +
    `self time by function:\n${list(fn, top)}\nself time by file:\n${list(files, 15)}\n`
  );
}
