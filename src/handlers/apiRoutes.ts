/** Who may call a route of the AWS API: any client system, or rules administrators only. */
export type RouteAccess = 'client' | 'admin';

/** One route the AWS fronts expose: method, path (no leading slash, `{id}` for a path segment), access. */
export type ApiRoute = readonly [method: string, path: string, access: RouteAccess];

/**
 * The routes of the local API that the AWS fronts expose, all served by the one `api` function.
 * `admin` routes change how transactions are judged, or read who changed it: only administrators
 * reach them. One list for the CDK app (which routes each front declares, and each policy's
 * resources) and for the `api` function (which routes a function URL request may use).
 */
export const API_ROUTES: readonly ApiRoute[] = [
  ['POST', 'transactions', 'client'],
  ['GET', 'transactions/{id}', 'client'],
  ['POST', 'transactions/{id}/label', 'client'],
  ['GET', 'alerts', 'client'],
  ['GET', 'rules', 'client'],
  ['PUT', 'rules', 'admin'],
  ['GET', 'rules/audit', 'admin'],
  ['GET', 'stats', 'client'],
  ['GET', 'stats/shadow', 'client'],
  ['GET', 'healthz', 'client'],
];

/**
 * The access of the route a request goes to, or undefined when no route of {@link API_ROUTES}
 * matches: the method exactly, the path segment by segment (`{id}` takes any one non-empty
 * segment; no trailing slash).
 *
 * @example
 * routeAccess('PUT', '/rules'); // 'admin'
 * routeAccess('GET', '/transactions/tx-1'); // 'client'
 * routeAccess('GET', '/console/'); // undefined
 */
export function routeAccess(method: string, path: string): RouteAccess | undefined {
  const segments = path.replace(/^\//, '').split('/');
  for (const [m, pattern, access] of API_ROUTES) {
    if (m !== method.toUpperCase()) continue;
    const want = pattern.split('/');
    if (want.length !== segments.length) continue;
    if (want.every((w, i) => (w === '{id}' ? (segments[i] ?? '') !== '' : w === segments[i]))) return access;
  }
  return undefined;
}
