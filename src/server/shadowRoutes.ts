import type { FastifyInstance } from 'fastify';
import { AdminForbiddenError, NotFoundError, RulesNotSavedError } from '../app/errors.js';
import { compareLatestShadow, comparisonJson } from '../app/shadowCompare.js';
import { type PromoteShadowDeps, promoteShadow } from '../app/shadowPromote.js';
import { RulesError } from '../core/errors.js';
import type { ShadowDecisionStore } from '../ports/ShadowDecisionStore.js';
import type { AdminGuard } from './buildServer.js';
import { routeSchema } from './openapi.js';

/** What the shadow routes need; `promote` and `admin` together add `PUT /shadow/promote`. */
export interface ShadowRoutesDeps {
  store: ShadowDecisionStore;
  /** The promotion use case's ports (the runtime that keeps the challenger's files). */
  promote?: PromoteShadowDeps;
  /** The admin guard of the server the routes are registered on (`adminGuardOf(server)`). */
  admin?: AdminGuard;
}

/**
 * `GET /stats/shadow`: the shadow challenger against the decisions in force (see
 * src/app/shadowCompare.ts). A machine route: behind the API key like `GET /stats`.
 *
 * `PUT /shadow/promote`: makes the challenger last started the one in force, as
 * `fraudmini promote` does and through the same use case (src/app/shadowPromote.ts). An admin
 * route like `PUT /rules`: the admin key, or an admin's console session with its anti-CSRF token;
 * the rules it puts in force are audited under that caller.
 *
 * Registered as a plugin after the server is built, so the API key's hook and the OpenAPI
 * document cover them.
 *
 * @example
 * server.register(shadowRoutes({ store: new SqliteShadowStore({ db }), promote, admin: adminGuardOf(server) }));
 */
export function shadowRoutes(deps: ShadowRoutesDeps): (app: FastifyInstance) => Promise<void> {
  return async (app) => {
    app.get('/stats/shadow', { schema: routeSchema('GET', '/stats/shadow') }, async () =>
      comparisonJson(await compareLatestShadow(deps.store)),
    );
    const { promote, admin } = deps;
    if (!promote || !admin) return;
    app.put('/shadow/promote', { schema: routeSchema('PUT', '/shadow/promote'), onRequest: admin.check }, async (req) => {
      const by = admin.callerOf(req);
      // The guard lets no request through without a caller; this keeps it so if that ever changes.
      if (!by) throw new AdminForbiddenError('this route needs an admin credential');
      let done;
      try {
        done = await promoteShadow(promote, by);
      } catch (e) {
        // The challenger's rules no longer validate (400 with their problems); anything else is ours.
        if (e instanceof RulesError) throw e;
        throw new RulesNotSavedError({ cause: e });
      }
      if (!done) {
        throw new NotFoundError('no challenger has run on this data dir: start one with fraudmini start --shadow-rules FILE and/or --shadow-model FILE');
      }
      return {
        started_at: done.startedAt,
        rules: done.rules && { version: done.rules.version },
        model: done.model && { version: done.model.version, from: 'next start' },
      };
    });
  };
}
