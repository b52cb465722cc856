import type { ConsoleOptions } from '../server/consoleRoutes.js';
import { caseStore, reviewStore, sessionStore, userStore } from './stores.js';

/** How long the browser waits before asking `/events` again on AWS, in ms. */
export const EVENTS_RETRY_MS = 5000;

/**
 * The analyst console's routes on AWS, for the `api` function: sign-in and sessions, the review
 * queue and decisions, cases and assignment, on DynamoDB behind the same ports as SQLite locally.
 *
 * - The page itself is not served here: the static site (`-c console=true`: S3 and CloudFront,
 *   `infra/constructs/consoleSite.ts`) serves it and forwards the API routes to API Gateway
 *   under the same origin, so the session cookie is first-party.
 * - The cookie is `Secure`: CloudFront serves the console over HTTPS only.
 * - `/events` answers at once and tells the browser to ask again ({@link EVENTS_RETRY_MS}):
 *   neither API Gateway nor Lambda can hold a response open to push events.
 * - Not on AWS: the rules workbench (its version history and the labelled history a backtest
 *   replays have no DynamoDB adapter; rules change with `PUT /rules`, signed with IAM) and the live
 *   view's charts (the decisions table has no order to read the newest decisions by); the counters
 *   and rates are shown.
 *
 * @example
 * const app = buildApi(service, { tokenizer, logger, console: consoleOnAws() });
 */
export function consoleOnAws(): ConsoleOptions {
  return {
    users: userStore(),
    sessions: sessionStore(),
    reviews: reviewStore(),
    cases: caseStore(),
    secureCookies: true,
    events: { mode: 'short', retryMs: EVENTS_RETRY_MS },
  };
}
