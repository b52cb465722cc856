import { DynamoCaseStore } from '../adapters/aws/DynamoCaseStore.js';
import { DynamoEventClock } from '../adapters/aws/DynamoEventClock.js';
import { DynamoDecisionStore } from '../adapters/aws/DynamoDecisionStore.js';
import { DynamoFeatureHistory } from '../adapters/aws/DynamoFeatureHistory.js';
import { DynamoIngestCheckpoints } from '../adapters/aws/DynamoIngestCheckpoints.js';
import { DynamoLabelledHistory } from '../adapters/aws/DynamoLabelledHistory.js';
import { DynamoLabelStore } from '../adapters/aws/DynamoLabelStore.js';
import { DynamoReviewStore } from '../adapters/aws/DynamoReviewStore.js';
import { DynamoRulesHistory } from '../adapters/aws/DynamoRulesHistory.js';
import { CachedRules, DynamoRulesStore } from '../adapters/aws/DynamoRulesStore.js';
import { DynamoSessionStore } from '../adapters/aws/DynamoSessionStore.js';
import { DynamoShadowStore } from '../adapters/aws/DynamoShadowStore.js';
import { DynamoTransactionLog } from '../adapters/aws/DynamoTransactionLog.js';
import { DynamoUserStore } from '../adapters/aws/DynamoUserStore.js';
import { S3DecisionLake } from '../adapters/aws/S3DecisionLake.js';
import { S3ObjectStore } from '../adapters/aws/S3ObjectStore.js';
import { SnsAlertSink } from '../adapters/aws/SnsAlertSink.js';
import { SqsAlertQueue } from '../adapters/aws/SqsAlertQueue.js';
import { SqsTransactionQueue } from '../adapters/aws/SqsTransactionQueue.js';
import { ENV } from '../adapters/aws/tables.js';
import defaultRules from '../../rules/default.json' with { type: 'json' };
import { awsClients, env, perProcess, portLogger } from './runtime.js';

/**
 * The adapters each handler uses, built on first use per container from the environment the
 * CDK app sets (a missing variable fails with its name), and rebuilt when tests swap clients.
 */
export const rawObjects = perProcess(() => new S3ObjectStore(awsClients().s3, env(ENV.rawBucket)));
export const refinedObjects = perProcess(() => new S3ObjectStore(awsClients().s3, env(ENV.refinedBucket)));
/** The decision lake: Parquet objects under `lake/decisions/` in the refined bucket. */
export const decisionLake = perProcess(
  () => new S3DecisionLake({ s3: awsClients().s3, bucket: env(ENV.refinedBucket) }),
);
export const transactionQueue = perProcess(
  () => new SqsTransactionQueue(awsClients().sqs, env(ENV.transactionsQueueUrl)),
);
export const alertQueue = perProcess(() => new SqsAlertQueue(awsClients().sqs, env(ENV.suspiciousQueueUrl)));
export const alertTopic = perProcess(() => new SnsAlertSink(awsClients().sns, env(ENV.alertsTopicArn)));
export const checkpoints = perProcess(
  () => new DynamoIngestCheckpoints({ client: awsClients().dynamo, stateTable: env(ENV.stateTable) }),
);
/** Decisions; it moves the event clock with its counters (one state write per batch or POST). */
export const decisionStore = perProcess(
  () =>
    new DynamoDecisionStore({
      client: awsClients().dynamo,
      decisionsTable: env(ENV.decisionsTable),
      stateTable: env(ENV.stateTable),
      clock: eventClock(),
    }),
);
export const featureHistory = perProcess(
  () => new DynamoFeatureHistory({ client: awsClients().dynamo, featuresTable: env(ENV.featuresTable) }),
);
export const eventClock = perProcess(
  () => new DynamoEventClock({ client: awsClients().dynamo, stateTable: env(ENV.stateTable) }),
);
export const labelStore = perProcess(
  () => new DynamoLabelStore({ client: awsClients().dynamo, stateTable: env(ENV.stateTable) }),
);
export const transactionLog = perProcess(
  () => new DynamoTransactionLog({ client: awsClients().dynamo, transactionsTable: env(ENV.transactionsTable) }),
);
export const rulesStore = perProcess(
  () => new DynamoRulesStore({ client: awsClients().dynamo, stateTable: env(ENV.stateTable) }),
);
/** The rule set in force: the rules table, cached with a short TTL; the bundled default before any PUT. */
export const rules = perProcess(
  () => new CachedRules({ store: rulesStore(), fallback: defaultRules, logger: portLogger }),
);
/** The console's users, sessions, review queue and cases (the state table and the alerts index). */
export const userStore = perProcess(() => new DynamoUserStore({ client: awsClients().dynamo, stateTable: env(ENV.stateTable) }));
export const sessionStore = perProcess(
  () => new DynamoSessionStore({ client: awsClients().dynamo, stateTable: env(ENV.stateTable), users: userStore() }),
);
export const reviewStore = perProcess(
  () =>
    new DynamoReviewStore({
      client: awsClients().dynamo,
      decisionsTable: env(ENV.decisionsTable),
      stateTable: env(ENV.stateTable),
    }),
);
export const caseStore = perProcess(() => new DynamoCaseStore({ client: awsClients().dynamo, stateTable: env(ENV.stateTable) }));
/** Decisions of a shadow challenger, apart on the state table, joined with those in force to compare. */
export const shadowStore = perProcess(
  () =>
    new DynamoShadowStore({ client: awsClients().dynamo, stateTable: env(ENV.stateTable), decisionsTable: env(ENV.decisionsTable) }),
);
/** The rules workbench's history of rule sets (the state table). */
export const rulesHistory = perProcess(() => new DynamoRulesHistory({ client: awsClients().dynamo, stateTable: env(ENV.stateTable) }));
/** The stored transactions with their labels a backtest replays (a Scan of the decisions table, the labels on the state table). */
export const labelledHistory = perProcess(
  () =>
    new DynamoLabelledHistory({
      client: awsClients().dynamo,
      decisionsTable: env(ENV.decisionsTable),
      stateTable: env(ENV.stateTable),
    }),
);
