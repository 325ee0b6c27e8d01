import { createServer, type Server } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest, onResponseHookHandler } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AppContext } from '../context.js';
import { ping } from '../db/index.js';
import { presentedKey } from '../auth/gate.js';
import type { Mailer } from '../mail/mailer.js';
import type { Limiter } from '../ratelimit/limiter.js';

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

type KeyOutcome = 'valid' | 'invalid' | 'ip_not_allowed' | 'unavailable';

/** What the auth gate decided about a presented key, read from the answer (the gate stays untouched). */
export function keyCheckOutcome(status: number, authenticatedByKey: boolean): KeyOutcome | null {
  if (authenticatedByKey) return 'valid';
  if (status === 401) return 'invalid';
  if (status === 403) return 'ip_not_allowed';
  if (status === 503) return 'unavailable';
  return null;
}

/**
 * Prometheus metrics, served by a listener of their own (FUNCSPEC_METRICS_PORT), never on the public
 * one. Off by default; when on, a request costs one histogram observation (and, with a key, one
 * counter step): each route's observer is made when the route is registered. Call before any route.
 */
export function registerMetrics(app: FastifyInstance, ctx: AppContext): void {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'funcspec_' });

  const requests = new Histogram({
    name: 'funcspec_http_request_duration_seconds',
    help: 'HTTP requests by method, route pattern and status, and how long they took (the _count is the request count)',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const keyChecks = new Counter({
    name: 'funcspec_key_checks_total',
    help: 'API keys presented, by outcome',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  new Counter({
    name: 'funcspec_key_database_lookups_total',
    help: 'Key checks that had to read the database (the rest were answered by the cache or the key filter)',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(ctx.keys.lookups);
    },
  });
  new Gauge({
    name: 'funcspec_key_cache_hit_ratio',
    help: 'Share of key checks since start answered without a database read',
    registers: [registry],
    async collect() {
      const checks = (await keyChecks.get()).values.reduce((sum, v) => sum + v.value, 0);
      this.set(checks === 0 ? 1 : Math.max(0, 1 - ctx.keys.lookups / checks));
    },
  });
  const limiterDecisions = new Counter({
    name: 'funcspec_rate_limit_decisions_total',
    help: 'Rate-limit and throttle decisions, by outcome',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const mails = new Counter({
    name: 'funcspec_mail_total',
    help: 'Mails handed to the mailer, by outcome',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'funcspec_dependency_up',
    help: 'Whether the database and Redis answered at this scrape (1) or not (0)',
    labelNames: ['dependency'] as const,
    registers: [registry],
    async collect() {
      this.set(
        { dependency: 'database' },
        await ping(ctx.db).then(
          () => 1,
          () => 0,
        ),
      );
      if (ctx.redis) this.set({ dependency: 'redis' }, ctx.redis.status === 'ready' ? 1 : 0);
    },
  });
  new Gauge({
    name: 'funcspec_db_pool_connections',
    help: 'PostgreSQL pool connections: total, idle, and requests waiting for one',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const pool = ctx.dbPool();
      if (!pool) return;
      this.set({ state: 'total' }, pool.total);
      this.set({ state: 'idle' }, pool.idle);
      this.set({ state: 'waiting' }, pool.waiting);
    },
  });

  ctx.limiter = countedLimiter(ctx.limiter, {
    allowed: limiterDecisions.labels('allowed'),
    limited: limiterDecisions.labels('limited'),
    unavailable: limiterDecisions.labels('unavailable'),
  });
  ctx.mailer = countedMailer(ctx.mailer, { sent: mails.labels('sent'), failed: mails.labels('failed') });

  const outcomes = {
    valid: keyChecks.labels('valid'),
    invalid: keyChecks.labels('invalid'),
    ip_not_allowed: keyChecks.labels('ip_not_allowed'),
    unavailable: keyChecks.labels('unavailable'),
  };
  let listener: Server | null = null;

  app.addHook('onRoute', (route) => {
    if (route.url === undefined) return;
    const method = Array.isArray(route.method) ? route.method.join(',') : route.method;
    const byStatus = new Map<number, { observe(seconds: number): void }>();
    const takesKeys = route.config?.auth === 'api_key' || route.config?.auth === 'any';
    const observe: onResponseHookHandler = (request: FastifyRequest, reply: FastifyReply, done) => {
      const status = reply.statusCode;
      let child = byStatus.get(status);
      if (!child) {
        child = requests.labels(method, route.url, String(status));
        byStatus.set(status, child);
      }
      child.observe(reply.elapsedTime / 1000);
      if (takesKeys && presentedKey(request) !== undefined) {
        const outcome = keyCheckOutcome(status, request.principal?.apiKey != null);
        if (outcome) outcomes[outcome].inc();
      }
      done();
    };
    route.onResponse = route.onResponse ? [...(Array.isArray(route.onResponse) ? route.onResponse : [route.onResponse]), observe] : [observe];
  });
  // Requests that matched no route, under one label.
  const unmatched = new Map<number, { observe(seconds: number): void }>();
  app.addHook('onResponse', (request, reply, done) => {
    if (request.is404) {
      let child = unmatched.get(reply.statusCode);
      if (!child) unmatched.set(reply.statusCode, (child = requests.labels(request.method, 'unmatched', String(reply.statusCode))));
      child.observe(reply.elapsedTime / 1000);
    }
    done();
  });
  app.addHook('onReady', async () => {
    listener = createServer((req, res) => {
      if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('GET /metrics\n');
        return;
      }
      registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
        (error: unknown) => {
          ctx.log.error({ err: error }, 'metrics collection failed');
          res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics collection failed\n');
        },
      );
    });
    await new Promise<void>((resolve, reject) => {
      listener!.once('error', reject);
      listener!.listen(ctx.config.metricsPort!, ctx.config.metricsHost, () => resolve());
    });
    const bound = listener.address();
    const port = typeof bound === 'object' && bound ? bound.port : ctx.config.metricsPort;
    const address = `http://${ctx.config.metricsHost.includes(':') ? `[${ctx.config.metricsHost}]` : ctx.config.metricsHost}:${port}/metrics`;
    ctx.log.info(`metrics on ${address}`);
  });
  app.addHook('onClose', async () => {
    await new Promise<void>((resolve) => (listener ? listener.close(() => resolve()) : resolve()));
  });
}

type Step = { inc(): void };

/** The limiter, counting each decision (allowed, limited, or failed closed). */
function countedLimiter(inner: Limiter, count: { allowed: Step; limited: Step; unavailable: Step }): Limiter {
  return {
    hit: (key, limit, windowMs) =>
      inner.hit(key, limit, windowMs).then(
        (decision) => {
          (decision.allowed ? count.allowed : count.limited).inc();
          return decision;
        },
        (error: unknown) => {
          count.unavailable.inc();
          throw error;
        },
      ),
    reset: (key) => inner.reset(key),
    release: (key) => inner.release(key),
    close: () => inner.close(),
  };
}

/** The mailer, counting mails sent and failed. Keeps the outbox's extra methods (GET /dev/outbox). */
function countedMailer(inner: Mailer, count: { sent: Step; failed: Step }): Mailer {
  const send = inner.send.bind(inner);
  inner.send = (mail) =>
    send(mail).then(
      () => count.sent.inc(),
      (error: unknown) => {
        count.failed.inc();
        throw error;
      },
    );
  return inner;
}
