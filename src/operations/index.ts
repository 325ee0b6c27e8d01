import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';
import { registerMetrics } from './metrics.js';
import { registerHsts } from './tls.js';

export { httpsOptions } from './tls.js';

/** What operators switch on: metrics on their own listener, and HSTS under an https PUBLIC_URL. Call before any route. */
export function registerOperations(app: FastifyInstance, ctx: AppContext): void {
  if (ctx.config.metricsPort !== null) registerMetrics(app, ctx);
  registerHsts(app, ctx.config);
}
