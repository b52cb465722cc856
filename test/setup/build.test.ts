import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/fixtures.js';
import { staleSources } from './build.js';

/** A tiny project tree: tsconfigs, sources and outputs, each with the given modification time (s). */
function project(files: Record<string, number>): { dir: string; cleanup: () => void } {
  const t = tempDir('fraudmini-build-');
  for (const [path, time] of Object.entries({ 'tsconfig.json': 1, 'tsconfig.build.json': 1, ...files })) {
    const full = join(t.dir, path);
    mkdirSync(join(full, '..'), { recursive: true });
    writeFileSync(full, '');
    utimesSync(full, time, time);
  }
  return t;
}

describe('the test setup build', () => {
  it('has left dist/ current with every source before any test runs (CLI tests spawn dist/)', () => {
    // Assess: the global setup ran before this file; an edit made since the last build would
    // otherwise be listed here, and the CLI tests would run the previous build.
    expect(staleSources()).toEqual([]);
  });

  it('sees a source edited after its output was built, and one never built', () => {
    // Prepare
    const t = project({
      'src/a.ts': 10,
      'dist/a.js': 20,
      'src/core/b.ts': 30,
      'dist/core/b.js': 20,
      'src/new.ts': 5,
      'src/types.d.ts': 50,
    });
    try {
      // Act / Assess
      expect(staleSources(t.dir)).toEqual(['src/core/b.ts', 'src/new.ts']);
    } finally {
      t.cleanup();
    }
  });

  it('treats every output as stale when the build configuration changed after it', () => {
    // Prepare
    const t = project({ 'src/a.ts': 10, 'dist/a.js': 20, 'tsconfig.build.json': 25 });
    try {
      // Act / Assess
      expect(staleSources(t.dir)).toEqual(['src/a.ts']);
    } finally {
      t.cleanup();
    }
  });
});
