import type { FastifyInstance, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { AppContext } from '../context.js';
import { principalOf } from '../http/request.js';
import type { OrgRole } from '../orgs/tables.js';
import { accessOrg, requireRole, type OrgAccess } from './orgs.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The route acts on the organization its `:org` parameter names: the caller must be a member with at
     * least this role (an organization they are not in is a 404, a lower role a 403), resolved once,
     * after validation, before the handler (see orgAccessOf).
     */
    org?: OrgRole;
  }
  interface FastifyRequest {
    orgAccess: OrgAccess | null;
  }
}

/** The one organization-access precondition: routes declare `config: { org: 'admin' }` instead of a preamble. */
export function registerOrgAccess(app: FastifyInstance, ctx: AppContext): void {
  app.decorateRequest('orgAccess', null);
  app.addHook('onRoute', (route) => {
    const minimum = route.config?.org;
    if (minimum === undefined) return;
    if (!route.url.includes(':org')) throw new Error(`${route.method} ${route.url} declares config.org but has no :org parameter`);
    const resolve: preHandlerAsyncHookHandler = async (request) => {
      const access = await accessOrg(ctx.db, principalOf(request), (request.params as { org: string }).org);
      requireRole(access.role, minimum);
      request.orgAccess = access;
    };
    const others = route.preHandler === undefined ? [] : [route.preHandler].flat();
    route.preHandler = [resolve, ...others];
  });
}

/** The organization and the caller's role in it, for a route that declared `config.org`. */
export function orgAccessOf(request: FastifyRequest): OrgAccess {
  if (!request.orgAccess) throw new Error(`${request.method} ${request.routeOptions.url} reads the organization but declares no config.org`);
  return request.orgAccess;
}
