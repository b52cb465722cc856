import type { ConsoleOptions } from '../server/consoleRoutes.js';
import { labelDelayMs } from './runtime.js';
import { caseStore, labelledHistory, reviewStore, rulesHistory, sessionStore, userStore } from './stores.js';

/** How long the browser waits before asking `/events` again on AWS, in ms. */
export const EVENTS_RETRY_MS = 5000;

/**
 * Newest stored transactions a backtest replays on AWS: fewer than locally, so that the Scan, the
 * labels' reads and the replay fit in API Gateway's 29 seconds and the function's memory.
 */
export const AWS_BACKTEST_LIMIT = 50_000;

/**
 * The analyst console's routes on AWS, for the `api` function: sign-in and sessions, the review
 * queue and decisions, cases and assignment, the rules workbench, on DynamoDB behind the same
 * ports as SQLite locally.
 *
 * - The page itself is not served here: the static site (`-c console=true`: S3 and CloudFront,
 *   `infra/constructs/consoleSite.ts`) serves it and forwards the API routes to API Gateway
 *   under the same origin, so the session cookie is first-party.
 * - The cookie is `Secure`: CloudFront serves the console over HTTPS only.
 * - `/events` answers at once and tells the browser to ask again ({@link EVENTS_RETRY_MS}):
 *   neither API Gateway nor Lambda can hold a response open to push events.
 * - The rules workbench keeps its history of rule sets on the state table (`DynamoRulesHistory`)
 *   and backtests on the newest {@link AWS_BACKTEST_LIMIT} decided transactions, read with a Scan
 *   of the decisions table (`DynamoLabelledHistory`), with label feedback as scoring has it.
 *   An admin's session publishes and rolls back (audited as `user <name>`); `PUT /rules` stays
 *   IAM-signed.
 * - Not on AWS: the live view's charts (the decisions table has no order to read the newest
 *   decisions by); the counters and rates are shown.
 *
 * @example
 * const app = buildApi(service, { tokenizer, logger, console: consoleOnAws() });
 */
export function consoleOnAws(): ConsoleOptions {
  const delay = labelDelayMs();
  return {
    users: userStore(),
    sessions: sessionStore(),
    reviews: reviewStore(),
    cases: caseStore(),
    workbench: {
      history: rulesHistory(),
      labelled: labelledHistory(),
      backtestLimit: AWS_BACKTEST_LIMIT,
      ...(delay !== undefined ? { labelDelayMs: delay } : {}),
    },
    secureCookies: true,
    events: { mode: 'short', retryMs: EVENTS_RETRY_MS },
  };
}
