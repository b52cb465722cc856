import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, test } from 'vitest';
import { projectRoot } from '../../infra/projectRoot.js';

const run = promisify(execFile);

interface CliRun {
  code: number;
  stderr: string;
  outdir: string;
}

let synth: CliRun;

/**
 * `npx cdk synth` exactly as a user or CI runs it: the CLI, `cdk.json`'s app command (esbuild
 * bundle of infra/app.ts), real esbuild bundling of every handler, cdk-nag. Offline: no version
 * check, no telemetry, no instance-metadata lookup for credentials.
 */
beforeAll(async () => {
  const outdir = mkdtempSync(join(tmpdir(), 'fraudmini-cli-synth-'));
  try {
    const { stderr } = await run('npx', ['cdk', 'synth', '--no-notices', '-q', '-o', outdir], {
      cwd: projectRoot(),
      env: {
        ...process.env,
        CDK_DISABLE_VERSION_CHECK: '1',
        CDK_DISABLE_CLI_TELEMETRY: 'true',
        AWS_EC2_METADATA_DISABLED: 'true',
      },
      maxBuffer: 16 * 1024 * 1024,
    });
    synth = { code: 0, stderr, outdir };
  } catch (error) {
    const e = error as { code?: number; stderr?: string };
    synth = { code: e.code ?? 1, stderr: e.stderr ?? String(error), outdir };
  }
}, 300_000);

describe('npx cdk synth (the real CLI, offline)', () => {
  test('exits 0', () => {
    expect({ code: synth.code, stderr: synth.code === 0 ? '' : synth.stderr }).toEqual({ code: 0, stderr: '' });
  });

  test('writes both stacks and a validation report without findings', () => {
    expect(existsSync(join(synth.outdir, 'Fraudmini-dev-Stateful.template.json'))).toBe(true);
    expect(existsSync(join(synth.outdir, 'Fraudmini-dev-Pipeline.template.json'))).toBe(true);
    const report = JSON.parse(readFileSync(join(synth.outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: { violations?: unknown[] }[];
    };
    expect(report.pluginReports.flatMap((r) => r.violations ?? [])).toEqual([]);
  });

  test('bundles every handler as ESM with a source map', () => {
    // Prepare
    const assets = readdirSync(synth.outdir).filter((name) => name.startsWith('asset.'));
    // Act
    const bundles = assets.filter((a) => existsSync(join(synth.outdir, a, 'index.mjs')));
    // Assess
    expect(bundles).toHaveLength(5); // ingest, score, api, notify, stream (tableStream only with apiMode=store)
    for (const bundle of bundles) expect(existsSync(join(synth.outdir, bundle, 'index.mjs.map'))).toBe(true);
  });
});
