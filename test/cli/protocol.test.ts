import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/fixtures.js';

interface ProtocolJson {
  runs: { name: string; trainRows: number; trainFrauds: number; testRows: number; testFrauds: number; auc: number; averagePrecision: number; cardPrecisionAt100: number }[];
  mean: { auc: { mean: number; sd: number }; averagePrecision: { mean: number; sd: number } };
}

describe('fraudmini evaluate --protocol handbook', () => {
  const tmp = tempDir('fraudmini-protocol-');
  afterAll(() => tmp.cleanup());
  const size = ['--customers', '400', '--terminals', '800'];

  it('measures a simulated seed exactly as the same data written by generate --style handbook', async () => {
    // Act
    const simulated = await runCli(['evaluate', '--protocol', 'handbook', '--seeds', '3', ...size, '--json'], tmp.dir);
    const gen = await runCli(['generate', '--style', 'handbook', '--seed', '3', ...size, '--out', 'hb.csv', '--no-progress'], tmp.dir);
    const file = await runCli(['evaluate', '--protocol', 'handbook', 'hb.csv', '--json'], tmp.dir);

    // Assess
    expect(simulated.code, simulated.stderr).toBe(0);
    expect(gen.code).toBe(0);
    expect(file.code, file.stderr).toBe(0);
    const a = JSON.parse(simulated.stdout) as ProtocolJson;
    const b = JSON.parse(file.stdout) as ProtocolJson;
    expect(a.runs).toHaveLength(1);
    const [ra, rb] = [a.runs[0], b.runs[0]];
    expect(ra?.trainFrauds).toBeGreaterThan(10);
    expect(ra?.testFrauds).toBeGreaterThan(10);
    expect(ra?.auc).toBeGreaterThan(0.7);
    expect({ ...rb, name: '', seconds: 0 }).toEqual({ ...ra, name: '', seconds: 0 });
    expect(a.mean.auc).toEqual({ mean: ra?.auc, sd: 0 });
  });

  it('prints a table with mean ± sd over seeds beside the published figures', async () => {
    // Act
    const r = await runCli(['evaluate', '--protocol', 'handbook', '--seeds', '1,2', '--customers', '200', '--terminals', '400'], tmp.dir);

    // Assess
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^seed 1 /m);
    expect(r.stdout).toMatch(/^seed 2 /m);
    expect(r.stdout).toMatch(/^mean ± sd \(2\)\s+\d\.\d{3} ± \d\.\d{3}\s+\d\.\d{3} ± \d\.\d{3}\s+\d\.\d{3} ± \d\.\d{3}$/m);
    expect(r.stdout).toContain('handbook XGBoost (published)');
  });

  it('refuses bad seeds, an unknown protocol and simulation flags with a file', async () => {
    // Act
    const seeds = await runCli(['evaluate', '--protocol', 'handbook', '--seeds', '1,x'], tmp.dir);
    const protocol = await runCli(['evaluate', '--protocol', 'paysim'], tmp.dir);
    const both = await runCli(['evaluate', '--protocol', 'handbook', '--seeds', '1', 'hb.csv'], tmp.dir);
    const alone = await runCli(['evaluate', 'hb.csv', '--model', 'm.json', '--seeds', '1'], tmp.dir);

    // Assess
    for (const r of [seeds, protocol, both, alone]) expect(r.code).toBe(2);
    expect(seeds.stderr).toContain('--seeds must be whole numbers');
    expect(protocol.stderr).toContain('--protocol must be handbook');
    expect(both.stderr).toContain('give them or a file, not both');
    expect(alone.stderr).toContain('--seeds goes with --protocol handbook');
  });
});
