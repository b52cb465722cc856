import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import type * as GbdtMod from '../../src/core/model/gbdt.js';
import type * as ModelMod from '../../src/core/model/model.js';
import { fromDist } from './dist.js';
import { type HandbookOptions, simulateHandbook, writeHandbookCsv } from './handbookData.js';
import { type Paths, runNode } from './proc.js';

/** Sizes of one harness run (full, or `--quick` for a smoke run). */
export interface Sizes {
  /** `fraudmini generate` flags of the labelled history the model is trained on. */
  source: { customers: number; days: number; seed: number };
  /** `fraudmini generate` flags of the traffic whose head is the bench file (benchmarks 1–3). */
  traffic: { customers: number; days: number; seed: number };
  /** Train on rows before this date (as the README's detection example). */
  trainTo: string;
  /** Cap on trees (`train --trees`); undefined: the trainer's default (up to 200, early stopping). */
  trees?: number;
  /** Rows of the bench file (benchmarks 1–3). */
  rows: number;
  /** Rows of the warm-up file. */
  warmupRows: number;
  /** `fraudmini generate` flags of the large file of benchmark 5. */
  big: { customers: number; days: number; seed: number };
  /** Seconds per HTTP load run. */
  httpSeconds: number;
  /** Seconds of HTTP warm-up per server. */
  httpWarmupSeconds: number;
  /** The handbook-format file of benchmark 7: the simulation, the rows kept, the training cut. */
  handbook: { simulation: HandbookOptions; rows: number; trainTo: string };
}

export const FULL: Sizes = {
  source: { customers: 5000, days: 180, seed: 42 },
  // Its first 1,000,000 rows touch 20,000 accounts, about 26,000 cards and 11,800 terminals over
  // 15 days: the cardinality issue 5 asks for (5,000+ accounts, 10,000+ terminals).
  traffic: { customers: 20_000, days: 15, seed: 42 },
  trainTo: '2026-05-01',
  rows: 1_000_000,
  warmupRows: 100_000,
  // About 439 bytes a customer-day: 10,000 customers for 245 days is about 1 GiB.
  big: { customers: 10_000, days: 245, seed: 7 },
  httpSeconds: 10,
  httpWarmupSeconds: 3,
  // The handbook's own simulation (183 days, about 1.8 million rows), cut to its first million
  // rows (101 days); the model learns from the first week.
  handbook: {
    simulation: { customers: 5000, terminals: 10_000, days: 183, radius: 5, seed: 0, start: '2018-04-01', compromisedTerminalsPerDay: 2, compromisedCustomersPerDay: 3 },
    rows: 1_000_000,
    trainTo: '2018-04-08',
  },
};

export const QUICK: Sizes = {
  source: { customers: 300, days: 30, seed: 42 },
  traffic: { customers: 300, days: 30, seed: 42 },
  trainTo: '2026-01-20',
  trees: 10,
  rows: 5000,
  warmupRows: 1000,
  big: { customers: 200, days: 20, seed: 7 },
  httpSeconds: 1,
  httpWarmupSeconds: 1,
  // Few terminals in a wide radius: few groups for pandas, so the smoke run stays short.
  handbook: {
    simulation: { customers: 100, terminals: 200, days: 30, radius: 20, seed: 0, start: '2018-04-01', compromisedTerminalsPerDay: 2, compromisedCustomersPerDay: 3 },
    rows: 3000,
    trainTo: '2018-04-08',
  },
};

/** Cached inputs, generated on first use and reused by later runs. */
export interface Inputs {
  /** Header + first `rows` rows of the source. */
  file: string;
  rows: number;
  /** Header + first `warmupRows` rows. */
  warmupFile: string;
  model: string;
  big: string;
}

/** The handbook-format input of benchmark 7. */
export interface HandbookInputs {
  /** Header + the first `rows` simulated transactions. */
  file: string;
  rows: number;
  /** `fraudmini train` on the file's first week. */
  model: string;
}

/** The card tokenisation key every benchmark child uses (no key file written anywhere). */
export const BENCH_TOKEN_KEY = 'fraudmini-bench-token-key-0123456789';

type Log = (line: string) => void;

/** Generates, once, everything the benchmarks read; later calls reuse the cache. */
export class InputCache {
  constructor(
    private readonly paths: Paths,
    private readonly dir: string,
    private readonly sizes: Sizes,
    private readonly log: Log,
  ) {
    mkdirSync(dir, { recursive: true });
  }

  private get cli(): string {
    return join(this.paths.root, 'bin', 'fraudmini.js');
  }

  private async fraudmini(args: string[]): Promise<void> {
    const r = await runNode(this.paths, this.cli, args, { env: { FRAUDMINI_TOKEN_KEY: BENCH_TOKEN_KEY } });
    if (r.code !== 0) throw new Error(`fraudmini ${args[0]} failed (${r.code}): ${r.stderr}`);
    const last = r.stderr.trim().split('\n')[0];
    if (last) this.log(`    ${last}`);
  }

  private async generated(g: Sizes['source']): Promise<string> {
    const file = join(this.dir, `gen-c${g.customers}-d${g.days}-s${g.seed}.csv`);
    if (!existsSync(file)) {
      this.log(`  generating ${file} (fraudmini generate --customers ${g.customers} --days ${g.days} --seed ${g.seed}), once`);
      await this.fraudmini(['generate', '--customers', String(g.customers), '--days', String(g.days), '--seed', String(g.seed), '--out', file, '--no-progress']);
    }
    return file;
  }

  /** The first `rows` data rows of `source` (with its header), written once. */
  private async head(source: string, rows: number): Promise<string> {
    const file = source.replace(/\.csv$/, `-head${rows}.csv`);
    if (existsSync(file)) return file;
    this.log(`  writing the first ${rows.toLocaleString('en-US')} rows to ${file}`);
    const part = `${file}.part`;
    const out = createWriteStream(part);
    let lines = 0;
    const want = rows + 1;
    read: for await (const chunk of createReadStream(source, { highWaterMark: 1 << 20 })) {
      const buf = chunk as Buffer;
      let from = 0;
      for (let nl = buf.indexOf(10, from); nl !== -1; nl = buf.indexOf(10, from)) {
        from = nl + 1;
        if (++lines === want) {
          if (!out.write(buf.subarray(0, from))) await once(out, 'drain');
          break read;
        }
      }
      if (!out.write(buf)) await once(out, 'drain');
    }
    out.end();
    await once(out, 'close');
    if (lines < want) throw new Error(`${source} has only ${lines - 1} rows, ${rows} wanted`);
    renameSync(part, file);
    return file;
  }

  /**
   * A short hash of the build's training defaults, part of a cached model's name: a model
   * trained with other defaults would load fine but is not the model this build trains.
   */
  private async trainingTag(): Promise<string> {
    const { GBDT_DEFAULTS } = await fromDist<typeof GbdtMod>('core/model/gbdt.js', this.paths.root);
    return createHash('sha256').update(JSON.stringify(GBDT_DEFAULTS)).digest('hex').slice(0, 8);
  }

  /**
   * The model, trained once with `fraudmini train` on the labelled source as the README does.
   * Reused while the current build accepts it (`loadModel` checks the format and the feature
   * list); retrained when it does not.
   */
  private async model(source: string): Promise<string> {
    const s = this.sizes;
    const name = `model-c${s.source.customers}-d${s.source.days}-s${s.source.seed}-to${s.trainTo}-t${s.trees ?? 'default'}-g${await this.trainingTag()}.json`;
    const file = join(this.dir, name);
    if (existsSync(file)) {
      const { loadModel } = await fromDist<typeof ModelMod>('core/model/model.js', this.paths.root);
      try {
        loadModel(JSON.parse(readFileSync(file, 'utf8')));
        return file;
      } catch (e) {
        this.log(`  cached model refused by this build (${(e as Error).message}): retraining`);
      }
    }
    this.log(`  training ${file} (fraudmini train --to ${s.trainTo}), once: minutes at full size`);
    const part = join(this.dir, `training-${process.pid}.json`);
    await this.fraudmini(['train', source, '--to', s.trainTo, '--out', part, ...(s.trees ? ['--trees', String(s.trees)] : [])]);
    renameSync(part, file);
    return file;
  }

  /**
   * The handbook-format file (simulated in this process, a few seconds at full size) and a model
   * trained on its first week with a 7-day label delay. fraudmini reads the handbook's columns
   * without `--map`: its header aliases cover them (TX_DATETIME, CUSTOMER_ID, TERMINAL_ID,
   * TX_AMOUNT, TX_FRAUD; TRANSACTION_ID is its own name), and the others are kept as attributes.
   */
  async handbook(): Promise<HandbookInputs> {
    const h = this.sizes.handbook;
    const sim = h.simulation;
    const base = `handbook-c${sim.customers}-t${sim.terminals}-d${sim.days}-r${sim.radius}-s${sim.seed}-rows${h.rows}`;
    const file = join(this.dir, `${base}.csv`);
    if (!existsSync(file)) {
      this.log(`  simulating ${file} (the handbook's generator: ${sim.customers} customers, ${sim.terminals} terminals, ${sim.days} days), once`);
      const written = writeHandbookCsv(simulateHandbook(sim), file, sim.start, h.rows);
      if (written < h.rows) throw new Error(`the simulation gave only ${written} rows, ${h.rows} wanted: simulate more days`);
    }
    const model = join(this.dir, `${base}-model-to${h.trainTo}-g${await this.trainingTag()}.json`);
    if (existsSync(model)) {
      const { loadModel } = await fromDist<typeof ModelMod>('core/model/model.js', this.paths.root);
      try {
        loadModel(JSON.parse(readFileSync(model, 'utf8')));
        return { file, rows: h.rows, model };
      } catch (e) {
        this.log(`  cached handbook model refused by this build (${(e as Error).message}): retraining`);
      }
    }
    this.log(`  training ${model} (fraudmini train --to ${h.trainTo} --label-delay 7d), once`);
    const part = join(this.dir, `training-${process.pid}.json`);
    await this.fraudmini(['train', file, '--to', h.trainTo, '--label-delay', '7d', '--out', part]);
    renameSync(part, model);
    return { file, rows: h.rows, model };
  }

  /**
   * Everything, generated as needed. `big` only when `withBig` (it is about 1 GB); the bench file
   * only when `withTraffic` (left empty for a run of benchmarks that do not read it).
   */
  async inputs(withBig: boolean, withModel: boolean, withTraffic = true): Promise<Inputs> {
    const traffic = withTraffic ? await this.generated(this.sizes.traffic) : '';
    const file = withTraffic ? await this.head(traffic, this.sizes.rows) : '';
    const warmupFile = withTraffic ? await this.head(traffic, this.sizes.warmupRows) : '';
    const model = withModel ? await this.model(await this.generated(this.sizes.source)) : '';
    const big = withBig ? await this.generated(this.sizes.big) : '';
    if (withBig) this.log(`  large file: ${big} (${(statSync(big).size / 2 ** 20).toFixed(0)} MiB)`);
    return { file, rows: this.sizes.rows, warmupFile, model, big };
  }
}
