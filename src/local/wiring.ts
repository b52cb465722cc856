import type { FastifyInstance } from 'fastify';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConsoleAlertSink } from '../adapters/local/ConsoleAlertSink.js';
import { FeatureWindowsClock } from '../adapters/local/FeatureWindowsClock.js';
import { FileRulesSource, loadRulesFile } from '../adapters/local/FileRulesSource.js';
import { FolderObjectStore } from '../adapters/local/FolderObjectStore.js';
import { JsonlAlertSink } from '../adapters/local/JsonlAlertSink.js';
import { SqliteCaseStore } from '../adapters/local/SqliteCaseStore.js';
import { SqliteReviewStore } from '../adapters/local/SqliteReviewStore.js';
import { SqliteShadowStore } from '../adapters/local/SqliteShadowStore.js';
import { SqliteRulesWorkbench } from '../adapters/local/SqliteRulesWorkbench.js';
import { SqliteSessionStore } from '../adapters/local/SqliteSessionStore.js';
import { SqliteStateStore } from '../adapters/local/SqliteStateStore.js';
import { SqliteUserStore } from '../adapters/local/SqliteUserStore.js';
import { SqliteWorkerBatchCommitter } from '../adapters/local/SqliteWorkerBatchCommitter.js';
import { WebhookAlertSink } from '../adapters/local/WebhookAlertSink.js';
import { type Config, ConfigError } from '../config.js';
import { FeatureWindows } from '../core/features.js';
import { LabelFeedback } from '../core/labels.js';
import { loadModel, type Model } from '../core/model/model.js';
import type { Label } from '../core/transaction.js';
import { TOKEN_CACHE_CARDS, createPanTokenizer } from '../core/pan.js';
import { ingestOnThreadFrom } from './IngestThread.js';
import type { Receipt } from '../core/receipt.js';
import type { AlertSink } from '../ports/AlertSink.js';
import type { Logger } from '../ports/Logger.js';
import { recordLabel, type LabelResult } from '../app/recordLabel.js';
import { ShadowScoring } from '../app/shadowScoring.js';
import { rulesUseCases } from '../app/replaceRules.js';
import { adminGuardOf, buildServer } from '../server/buildServer.js';
import { shadowRoutes } from '../server/shadowRoutes.js';
import { type ShadowFiles, installShadow, storedChallenger } from './shadowFiles.js';
import { AlertDispatcher } from './AlertDispatcher.js';
import { LocalRuntime, replayInto } from './LocalRuntime.js';
import { loadOrCreateTokenKey } from './tokenKey.js';

import { BUNDLED_RULES } from './bundled.js';

export { BUNDLED_RULES, BUNDLED_SAMPLE } from './bundled.js';

/** The analyst console's static files, shipped with fraudmini. */
export const CONSOLE_ASSETS = fileURLToPath(new URL('../../console/', import.meta.url));

/** Folders of the data dir. */
export const DATA_FOLDERS = ['inbox', 'processing', 'processed', 'failed'] as const;

/** Options for {@link createLocalRuntime} beyond the config. */
export interface LocalWiringOptions {
  logger: Logger;
  /** Where console alerts are printed. @default process.stdout */
  alertOut?: NodeJS.WritableStream;
  onReceipt?: (receipt: Receipt) => void;
  /** The data dir's object store (tests pass a subclass that fails writes). @default a FolderObjectStore */
  objects?: FolderObjectStore;
  /** Mark the console's session cookie `Secure` (the console is reached over TLS). @default false */
  secureCookies?: boolean;
  /**
   * A challenger scored in shadow beside the rules and model in force (`--shadow-rules`,
   * `--shadow-model`): its decisions are stored apart and act on nothing.
   */
  shadow?: { rulesPath?: string; modelPath?: string };
}

/** The built runtime and the facts the CLI prints. */
export interface LocalWiring {
  runtime: LocalRuntime;
  /** The HTTP API (not listening until `runtime.start`), e.g. for `inject` in tests. */
  server: FastifyInstance;
  dataDir: string;
  rulesPath: string;
  rulesVersion: string;
  modelVersion: string | undefined;
  /** The model file in force, when there is one: `--model`, or the data dir's promoted `model.json`. */
  modelPath: string | undefined;
  /** The challenger in shadow, when one was given. */
  shadow: (ShadowFiles & { describe: string }) | undefined;
  replayed: number;
  sinks: string[];
}

/**
 * The data dir's own rules file, copied from the bundled default on first start: edits (by hand
 * or `PUT /rules`) change this copy, never the file shipped with fraudmini. It is 0600: the rules
 * hold the blocklists and thresholds (what to stay under to get through), and whoever may write
 * the file changes the rules in force without the admin key. A copy that others may read or
 * write is narrowed to 0600, as the token key is.
 */
function dataDirRules(dataDir: string, logger: Logger): string {
  const path = join(dataDir, 'rules.json');
  if (!existsSync(path)) {
    // Created with its mode: never readable by others, not even for a moment.
    writeFileSync(path, readFileSync(BUNDLED_RULES), { mode: 0o600, flag: 'wx' });
    return path;
  }
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    chmodSync(path, 0o600);
    logger.warn(`${path} was ${octal(mode)}, now 0600: others could read the rules, or change them without the admin key`);
  }
  return path;
}

/** Warns when others may write a rules file fraudmini does not own (`--rules`): it is reloaded when it changes. */
function checkOwnRulesFile(path: string, logger: Logger): void {
  const mode = statSync(path, { throwIfNoEntry: false })?.mode;
  if (mode !== undefined && (mode & 0o022) !== 0) {
    logger.warn(
      `rules file ${path} is ${octal(mode & 0o777)}: whoever may write it changes the rules in force without the admin key; make it 0600 or 0644`,
    );
  }
}

function octal(mode: number): string {
  return mode.toString(8).padStart(4, '0');
}

/** Rows the inbox's parsing thread hands over at a time (four batches, at the default batch size). */
const INBOX_GROUP_ROWS = 2000;

/**
 * Builds the local runtime from configuration: the one place that creates adapters for it.
 */
export function createLocalRuntime(config: Config, options: LocalWiringOptions): LocalWiring {
  const dataDir = resolve(config.dataDir);
  for (const f of DATA_FOLDERS) mkdirSync(join(dataDir, f), { recursive: true, mode: 0o700 });
  // Rules and model first: an invalid one stops start-up with its message before the database
  // threads are started (they would keep the process alive after the error). The rules source
  // itself needs the database (its audit log), so the file is checked here and read again below.
  const rulesPath = resolve(config.rulesPath ?? dataDirRules(dataDir, options.logger));
  if (config.rulesPath !== undefined) checkOwnRulesFile(rulesPath, options.logger);
  loadRulesFile(rulesPath);
  const modelPath = config.modelPath !== undefined ? resolve(config.modelPath) : promotedModel(dataDir);
  const model = modelPath !== undefined ? readModelFile(modelPath) : undefined;
  const challenger = options.shadow && (options.shadow.rulesPath !== undefined || options.shadow.modelPath !== undefined)
    ? {
        ...(options.shadow.rulesPath !== undefined ? { rules: loadRulesFile(resolve(options.shadow.rulesPath)) } : {}),
        ...(options.shadow.modelPath !== undefined ? { model: readModelFile(resolve(options.shadow.modelPath)) } : {}),
      }
    : undefined;
  const tokenKey = loadOrCreateTokenKey(dataDir, config.tokenKey);
  const tokenizer = createPanTokenizer(tokenKey, { cache: TOKEN_CACHE_CARDS });
  const dbPath = join(dataDir, 'fraudmini.db');
  // The main connection's commits answer API requests: its WAL checkpoints run on their own thread.
  const state = new SqliteStateStore({
    path: dbPath,
    checkpointThread: {
      onFallback: (e) => options.logger.warn(`WAL checkpoints are back inside commits: ${e.message}`),
    },
  });
  // File batches are committed on this worker thread while the next batch is scored.
  const commits = new SqliteWorkerBatchCommitter({ path: dbPath });
  const rules = new FileRulesSource(rulesPath, options.logger, { audit: state });
  // A challenger's model reads the label feedback even when the model in force is absent.
  const features = localFeatureWindows(config.labelDelayMs, model ?? challenger?.model);
  const replayed = replayInto(state, features);
  const shadowStore = new SqliteShadowStore({ db: state.db });
  const shadow = challenger
    ? new ShadowScoring({ features, challenger, rules: () => rules.current(), model, store: shadowStore, logger: options.logger })
    : undefined;
  const shadowFiles = challenger && options.shadow
    ? installShadow(dataDir, { ...options.shadow, rulesInForce: rulesPath, challenger })
    : undefined;
  const labelTransaction = (id: string, label: Label): Promise<LabelResult> =>
    recordLabel(id, label, {
      findTransaction: async (tid) => state.getTransactionRecord(tid),
      putLabel: (tid, l, knownAt) => state.putLabel(tid, l, knownAt),
      feedBack: async (tx, l, knownAt) => features.labels?.scheduleAt(tx, l, knownAt),
      clock: new FeatureWindowsClock(features),
      labelDelayMs: config.labelDelayMs,
    });
  const sinks: AlertSink[] = [
    new ConsoleAlertSink({ out: options.alertOut }),
    new JsonlAlertSink(join(dataDir, 'alerts.jsonl')),
  ];
  if (config.webhookUrl) sinks.push(new WebhookAlertSink({ url: config.webhookUrl }));
  const dispatcher = new AlertDispatcher({
    // Cursor writes go through the commit worker, the database's writer while a file is processed.
    outbox: {
      listAlerts: (q) => state.listAlerts(q),
      deliveryCursor: (sink) => state.deliveryCursor(sink),
      setDeliveryCursor: (sink, cursor) => commits.setDeliveryCursor(sink, cursor),
    },
    sinks,
    logger: options.logger,
  });
  const workbench = new SqliteRulesWorkbench({ db: state.db });
  const reviews = new SqliteReviewStore({ db: state.db });
  const server = buildServer({
    decisions: shadow ? shadow.decisionStore(state) : state,
    labels: state,
    committing: (id) => commits.pending(id),
    features: shadow?.features ?? features,
    rules: () => rules.current(),
    rulesStore: rules,
    rulesHistory: workbench,
    tokenizer,
    fieldMap: config.fieldMap,
    apiKey: config.apiKey,
    ...(config.adminKey !== undefined ? { admin: { adminKey: config.adminKey } } : {}),
    bodyLimit: config.bodyLimit,
    defaultCurrency: config.defaultCurrency,
    logger: options.logger,
    onAlerts: () => dispatcher.kick(),
    // Called only while serving, so after `runtime` below exists.
    onCommitFailed: () => runtime.featuresDiverged(),
    labelTransaction,
    model,
    console: {
      users: new SqliteUserStore({ db: state.db }),
      sessions: new SqliteSessionStore({ db: state.db }),
      reviews,
      charts: { source: reviews, filesInProgress: () => state.unfinishedFiles() },
      cases: new SqliteCaseStore({ db: state.db }),
      workbench: {
        history: workbench,
        labelled: workbench,
        // The backtest computes features as scoring does: label feedback only with a model.
        ...(model ? { labelDelayMs: config.labelDelayMs } : {}),
      },
      assetsDir: CONSOLE_ASSETS,
      secureCookies: options.secureCookies === true,
    },
  });
  server.register(
    shadowRoutes({
      store: shadowStore,
      admin: adminGuardOf(server),
      // The same rules use case as PUT /rules: audited, kept in the history of rule sets, live at once.
      promote: { challenger: async () => storedChallenger(dataDir, join(dataDir, PROMOTED_MODEL)), rules: rulesUseCases(rules, () => rules.current(), workbench) },
    }),
  );
  const runtime = new LocalRuntime({
    objects: options.objects ?? new FolderObjectStore({ root: dataDir }),
    state,
    commits,
    features,
    rules,
    tokenizer,
    // Inbox files are parsed on a thread of their own while this one scores (one per file).
    ingest: ingestOnThreadFrom({ tokenKey, tokenCache: TOKEN_CACHE_CARDS, groupRows: INBOX_GROUP_ROWS }),
    dispatcher,
    server,
    logger: options.logger,
    fieldMap: config.fieldMap,
    batchSize: config.batchSize,
    maxRecord: config.maxRecord,
    pollMs: config.pollMs,
    settleMs: config.settleMs,
    onReceipt: options.onReceipt,
    model,
    shadow,
  });
  return {
    runtime,
    server,
    dataDir,
    rulesPath,
    rulesVersion: rules.current().version,
    modelVersion: model?.version,
    modelPath,
    shadow: shadowFiles && shadow && { ...shadowFiles, describe: shadow.describe() },
    replayed,
    sinks: sinks.map((s) => s.name),
  };
}

/**
 * The runtime's feature windows. Label feedback (counts of labels known per entity) feeds only a
 * model: rules cannot read it, so without one it is off, as in `fraudmini score`, and costs no
 * time per transaction. Nothing is lost by that: labels are stored with their transactions (and
 * reported ones in their own table), and a start with a model rebuilds the feedback from them
 * when it replays the database into the windows.
 */
export function localFeatureWindows(labelDelayMs: number, model: Model | undefined): FeatureWindows {
  return new FeatureWindows(model ? { labels: new LabelFeedback({ delayMs: labelDelayMs }) } : {});
}

/**
 * The data dir's own model, `model.json`, written by `fraudmini promote`: used when no model is
 * given (`--model` or FRAUDMINI_MODEL win over it).
 */
function promotedModel(dataDir: string): string | undefined {
  const path = join(dataDir, PROMOTED_MODEL);
  return existsSync(path) ? path : undefined;
}

/** The promoted model's name in the data dir. */
export const PROMOTED_MODEL = 'model.json';

/** Loads a model file, naming the file in any error. */
export function readModelFile(path: string): Model {
  try {
    return loadModel(JSON.parse(readFileSync(path, 'utf8')));
  } catch (e) {
    throw new ConfigError(`model ${path}: ${(e as Error).message}`);
  }
}
