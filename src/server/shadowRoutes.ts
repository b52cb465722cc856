import type { FastifyInstance } from 'fastify';
import { compareLatestShadow, comparisonJson } from '../app/shadowCompare.js';
import type { ShadowDecisionStore } from '../ports/ShadowDecisionStore.js';
import { routeSchema } from './openapi.js';

/**
 * `GET /stats/shadow`: the shadow challenger against the decisions in force (see
 * src/app/shadowCompare.ts). A machine route: behind the API key like `GET /stats`. Registered
 * as a plugin after the server is built, so the API key's hook and the OpenAPI document cover it.
 *
 * @example
 * server.register(shadowRoutes({ store: new SqliteShadowStore({ db }) }));
 */
export function shadowRoutes(deps: { store: ShadowDecisionStore }): (app: FastifyInstance) => Promise<void> {
  return async (app) => {
    app.get('/stats/shadow', { schema: routeSchema('GET', '/stats/shadow') }, async () =>
      comparisonJson(await compareLatestShadow(deps.store)),
    );
  };
}
