import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';
import { tempDir } from '../helpers/fixtures.js';

interface Bom {
  bomFormat: string;
  specVersion: string;
  metadata: { component: { purl: string } };
  components: { name: string; version: string }[];
}

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { name?: string; version?: string; optional?: boolean; link?: boolean }>;
};

describe('CI writes a CycloneDX SBOM (npm audit cannot reach its advisory service there)', () => {
  let cleanup = (): void => {};
  afterEach(() => cleanup());

  it('.ci/run writes it after npm ci and before the tests', () => {
    // Prepare
    const steps = readFileSync(join(ROOT, '.ci/run'), 'utf8')
      .split('\n')
      .filter((l) => !l.startsWith('#') && l.trim() !== '');
    const at = (command: string): number => steps.findIndex((l) => l.startsWith(command));

    // Assess
    expect(at('npm ci')).toBeGreaterThanOrEqual(0);
    expect(at('scripts/sbom.sh')).toBeGreaterThan(at('npm ci'));
    expect(at('npm test')).toBeGreaterThan(at('scripts/sbom.sh'));
  });

  it('lists every package the lockfile installs, at its locked version, and the project itself', async () => {
    // Prepare
    const t = tempDir();
    cleanup = t.cleanup;
    const installed = Object.entries(lock.packages)
      .filter(([path, p]) => path.includes('node_modules/') && !p.optional && !p.link)
      .map(([path, p]) => `${p.name ?? path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length)}@${p.version}`);

    // Act
    await promisify(execFile)('bash', [join(ROOT, 'scripts/sbom.sh'), t.dir], { cwd: ROOT, timeout: 60_000 });
    const bom = JSON.parse(readFileSync(join(t.dir, 'fraudmini.cdx.json'), 'utf8')) as Bom;

    // Assess
    expect(bom.bomFormat).toBe('CycloneDX');
    expect(Number(bom.specVersion)).toBeGreaterThanOrEqual(1.4);
    expect(bom.metadata.component.purl).toBe(`pkg:npm/fraudmini@${pkg.version}`);
    const listed = new Set(bom.components.map((c) => `${c.name}@${c.version}`));
    expect(installed.filter((p) => !listed.has(p))).toEqual([]);
    for (const name of [...Object.keys(pkg.dependencies), ...Object.keys(pkg.devDependencies)]) {
      expect({ name, listed: listed.has(`${name}@${lock.packages[`node_modules/${name}`]?.version}`) }).toEqual({ name, listed: true });
    }
  });
});
