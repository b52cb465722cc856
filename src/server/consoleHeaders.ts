/**
 * The console page's security headers, in one place: the local server sends them with the page
 * and its files, and the CDK app's static site (`infra/constructs/consoleSite.ts`) has CloudFront
 * add the same ones, so the console runs under one policy wherever it is served.
 */

/** The page loads nothing from elsewhere, posts only to its own origin, and cannot be framed. */
export const CONSOLE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** The headers sent with the console's page and files. */
export const CONSOLE_PAGE_HEADERS = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
} as const;
