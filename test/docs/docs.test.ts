import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SETTINGS } from '../../src/config.js';

const ROOT = join(import.meta.dirname, '../..');
const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');

describe('docs', () => {
  it('documents every environment variable of the local runtime in docs/local.md and .env.example', () => {
    // Prepare
    const page = read('docs/local.md');
    const example = read('.env.example');

    // Assess
    expect(SETTINGS.length).toBeGreaterThan(10);
    for (const s of SETTINGS) {
      expect(page, s.env).toContain(`\`${s.env}\``);
      expect(example, s.env).toMatch(new RegExp(`^#?\\s*${s.env}=`, 'm'));
    }
  });

  it('keeps the README a short guide whose links to docs/ all resolve', () => {
    // Prepare
    const readme = read('README.md');
    const pages = new Set(readdirSync(join(ROOT, 'docs')));
    const links = [...readme.matchAll(/\]\((docs\/[^)#]+)(?:#[^)]*)?\)/g)].map((m) => m[1] as string);

    // Assess
    expect(readme.split('\n').length).toBeLessThanOrEqual(300);
    expect(links.length).toBeGreaterThan(5);
    for (const link of links) expect(pages.has(link.slice('docs/'.length)), link).toBe(true);
  });

  it('links every page in docs/ from the README or another page', () => {
    // Prepare
    const pages = readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md'));
    const text = [read('README.md'), ...pages.map((p) => read(`docs/${p}`))].join('\n');

    // Assess
    expect(pages.length).toBeGreaterThan(5);
    for (const p of pages) expect(text, p).toMatch(new RegExp(`\\]\\((?:docs/)?${p.replace('.', '\\.')}[)#]`));
  });
});
