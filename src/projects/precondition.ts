import type { FastifyInstance, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { AppContext } from '../context.js';
import { principalOf } from '../http/request.js';
import { accessProject, requireProjectRole, type ProjectAccess } from './access.js';
import type { ProjectRole } from './tables.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The route acts on the project its `:id` parameter names: the caller needs at least this project
     * role, resolved once after validation, before the handler (see projectAccessOf).
     */
    project?: ProjectRole;
  }
  interface FastifyRequest {
    projectAccess: ProjectAccess | null;
  }
}

/** The project-access precondition, the twin of `config.org` (access/precondition.ts) for `/projects/:id/…`. */
export function registerProjectAccess(app: FastifyInstance, ctx: AppContext): void {
  app.decorateRequest('projectAccess', null);
  app.addHook('onRoute', (route) => {
    const minimum = route.config?.project;
    if (minimum === undefined) return;
    if (!route.url.includes(':id')) throw new Error(`${route.method} ${route.url} declares config.project but has no :id parameter`);
    const resolve: preHandlerAsyncHookHandler = async (request) => {
      const access = await accessProject(ctx.db, principalOf(request), (request.params as { id: string }).id);
      requireProjectRole(access, minimum);
      request.projectAccess = access;
    };
    const others = route.preHandler === undefined ? [] : [route.preHandler].flat();
    route.preHandler = [resolve, ...others];
  });
}

/** The project and the caller's roles on it, for a route that declared `config.project`. */
export function projectAccessOf(request: FastifyRequest): ProjectAccess {
  if (!request.projectAccess) throw new Error(`${request.method} ${request.routeOptions.url} reads the project but declares no config.project`);
  return request.projectAccess;
}
