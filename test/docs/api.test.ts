import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/app/errors.js';
import { API_EXAMPLES } from '../../src/server/apiExamples.js';

const ROOT = join(import.meta.dirname, '../..');
const page = readFileSync(join(ROOT, 'docs/api.md'), 'utf8');
const openapi = JSON.parse(readFileSync(join(ROOT, 'docs/openapi.json'), 'utf8')) as { paths: Record<string, Record<string, unknown>> };

/** The lines of a `## ` section of the page. */
function section(title: string): string[] {
  const lines = page.split('\n');
  const start = lines.indexOf(`## ${title}`);
  expect(start, title).toBeGreaterThanOrEqual(0);
  const end = lines.findIndex((l, i) => i > start && l.startsWith('## '));
  return lines.slice(start + 1, end === -1 ? undefined : end);
}

/** The contents of the page's fenced blocks in `lang`. */
function blocks(lang: string): string[] {
  return [...page.matchAll(new RegExp(`^\`\`\`${lang}\\n([\\s\\S]*?)^\`\`\`$`, 'gm'))].map((m) => m[1] ?? '');
}

/** Values in a canonical order, to compare two lists as multisets. */
function sorted(values: unknown[]): string[] {
  return values.map((v) => JSON.stringify(v)).sort();
}

describe('docs/api.md', () => {
  it('has a section for every operation of the OpenAPI document, and for no other', () => {
    // Prepare
    const operations = Object.entries(openapi.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    const headings = section('Routes')
      .filter((l) => l.startsWith('### '))
      .map((l) => l.slice(4));

    // Assess
    expect(headings.sort()).toEqual(operations.sort());
  });

  it('lists every error code with its status and meaning, as src/app/errors.ts defines them', () => {
    // Prepare
    const rows = section('Errors')
      .map((l) => /^\| `(\w+)` \| (\d+) \| (.+) \|$/.exec(l))
      .filter((m) => m !== null)
      .map((m) => [m[1], { status: Number(m[2]), when: m[3] }]);

    // Assess
    expect(Object.fromEntries(rows)).toEqual(ERROR_CODES);
    expect(rows.map(([code]) => code)).toEqual(Object.keys(ERROR_CODES));
  });

  it('shows every example of the document, and only those: each request body and answer is a real one', () => {
    // Prepare: the -d '…' of each curl, and each JSON block
    const sent = blocks('sh').flatMap((b) => [...b.matchAll(/-d '([^']*)'/g)].map((m) => JSON.parse(m[1] ?? '') as unknown));
    const answered = blocks('json').map((b) => JSON.parse(b) as unknown);

    // Assess: the page groups examples by route, the examples run in request order
    expect(sorted(answered)).toEqual(sorted(API_EXAMPLES.map((e) => e.response)));
    expect(sorted(sent)).toEqual(sorted(API_EXAMPLES.filter((e) => e.request.body !== undefined).map((e) => e.request.body)));
    for (const e of API_EXAMPLES) expect(page, e.name).toContain(`localhost:3000${e.request.url}`);
  });
});
