import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from '../auth/principal.js';
import type { AppContext } from '../context.js';
import type { Stamps } from '../keys/epoch.js';
import { hashKey, isWellFormedKey } from '../keys/format.js';
import { requestsPerHour } from '../orgs/plans.js';
import { decide, resetEpochSeconds, retryAfterSeconds, type LimitDecision } from '../ratelimit/limiter.js';
import { HttpErrors, rateLimited } from './errors.js';

/** Who may call a route: nobody needs to be signed in, an API key only, a web session only, or either. */
export type AuthMode = 'public' | 'api_key' | 'session' | 'any';

/** Turns a session cookie into a principal; the web-accounts feature provides it. */
export interface SessionAuthenticator {
  authenticate(request: FastifyRequest, reply: FastifyReply): Promise<Principal | null>;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: AuthMode;
  }
  interface FastifyRequest {
    principal: Principal | null;
    /** The cache stamps for this request, read once (see stampsOf). */
    stamps: Promise<Stamps> | null;
  }
}

const HOUR_MS = 3_600_000;

/** The caller of an authenticated route (the gate has run, so there is one). */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw HttpErrors.UNAUTHORIZED();
  return request.principal;
}

/**
 * The cache stamps as of this request: read after it arrived (so every change committed before it was
 * sent shows), once per request, shared with the requests that arrived with it.
 */
export function stampsOf(ctx: AppContext, request: FastifyRequest): Promise<Stamps> {
  return (request.stamps ??= ctx.stamps.read());
}

/**
 * The one auth gate. Runs before the body is parsed, so an unauthenticated caller learns nothing
 * from validation errors. Key-authenticated requests are counted against the key's hourly limit
 * and every response to them carries the X-RateLimit-* headers.
 */
export function registerAuthGate(app: FastifyInstance, ctx: AppContext, sessions: () => SessionAuthenticator | null): void {
  app.decorateRequest('principal', null);
  app.decorateRequest('stamps', null);

  app.addHook('onRequest', async (request, reply) => {
    const mode = request.routeOptions.config.auth ?? 'public';
    if (mode === 'public') return;

    const key = request.headers['x-api-key'];
    if (key !== undefined && mode !== 'session') {
      // A key whose checksum fails is refused before anything is looked up.
      if (typeof key !== 'string' || !isWellFormedKey(key)) throw HttpErrors.INVALID_API_KEY();
      const hash = hashKey(key);
      const stamps = stampsOf(ctx, request);
      // A key the cache knows is counted while the stamps are read: with Redis, both wait at once.
      const cached = ctx.keys.peek(hash, request.ip);
      const early = cached ? ctx.limiter.hit(limitKey(cached), requestsPerHour(cached.org!), HOUR_MS) : null;
      early?.catch(() => {}); // awaited below when it is used
      // A request refused here is not counted (what was counted early is given back): a blocked address,
      // a revoked key or a database outage cannot use up the key's hourly allowance.
      const uncount = () => early?.then(() => ctx.limiter.release(limitKey(cached!)), () => {}).catch(() => {});
      let check: Awaited<ReturnType<typeof ctx.keys.check>>;
      try {
        check = await ctx.keys.check(hash, request.ip, await stamps);
      } catch (error) {
        void uncount();
        throw error;
      }
      if (!check.ok) {
        void uncount();
        throw check.reason === 'invalid' ? HttpErrors.INVALID_API_KEY() : HttpErrors.IP_NOT_ALLOWED({ ip: request.ip });
      }
      request.principal = check.principal;
      const sameKey = early !== null && cached!.apiKey!.id === check.principal.apiKey!.id;
      if (!sameKey) void uncount();
      const counted = sameKey ? await early : null;
      await countRequest(ctx, check.principal, reply, counted);
      return;
    }

    if (mode !== 'api_key') {
      const principal = await sessions()?.authenticate(request, reply);
      if (principal) {
        request.principal = principal;
        await countSessionRequest(ctx, principal.user.id);
        return;
      }
    }
    throw HttpErrors.UNAUTHORIZED();
  });

  // Usage monitoring: counted in memory here, flushed in batches (no write on the request path).
  app.addHook('onResponse', (request, reply, done) => {
    const principal = request.principal;
    if (principal?.apiKey && principal.org) ctx.usage.record(principal.apiKey.id, principal.org.id, reply.statusCode, request.ip);
    done();
  });
}

function limitKey(principal: Principal): string {
  return `key:${principal.apiKey!.id}`;
}

/** Counts the request (unless already counted) and decides with the key's current limit. */
async function countRequest(ctx: AppContext, principal: Principal, reply: FastifyReply, counted: LimitDecision | null): Promise<void> {
  const limit = requestsPerHour(principal.org!);
  // The limit may have changed since the cache was read (a plan change): decide with the fresh one.
  const decision = counted ? decide(counted.count, limit, counted.resetAt) : await ctx.limiter.hit(limitKey(principal), limit, HOUR_MS);
  const headers = {
    'x-ratelimit-limit': String(decision.limit),
    'x-ratelimit-remaining': String(decision.remaining),
    'x-ratelimit-reset': String(resetEpochSeconds(decision)),
  };
  reply.headers(headers);
  if (!decision.allowed) throw rateLimited(retryAfterSeconds(decision, ctx.clock.now()), headers);
}

/**
 * People in a browser get a generous hourly allowance per user, so a session cannot be used to flood the
 * server. It is counted where the other counters are (Redis, when set); while Redis is down it is counted
 * in this process instead, so the web app (and an admin revoking a key) keeps working through the outage.
 */
async function countSessionRequest(ctx: AppContext, userId: string): Promise<void> {
  const key = `session:user:${userId}`;
  const limit = ctx.config.sessionRequestsPerHour;
  const decision = await ctx.limiter.hit(key, limit, HOUR_MS).catch(() => ctx.localLimiter.hit(key, limit, HOUR_MS));
  if (!decision.allowed) throw rateLimited(retryAfterSeconds(decision, ctx.clock.now()));
}
