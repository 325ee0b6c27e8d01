import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiKeyPrincipal, Principal } from './principal.js';
import type { AppContext } from '../context.js';
import { hashKey, isWellFormedKey } from '../keys/format.js';
import { isUnlimited, refusal, type ScopeNeed, type ScopeRefusal } from '../keys/scopes.js';
import { requestsPerHour } from '../credits/plans.js';
import { decide, resetEpochSeconds, retryAfterSeconds, type LimitDecision } from '../ratelimit/limiter.js';
import { HttpErrors, rateLimited } from '../http/errors.js';
import { stampsOf } from '../http/request.js';

/** Who may call a route: nobody needs to be signed in, an API key only, a web session only, or either. */
export type AuthMode = 'public' | 'api_key' | 'session' | 'any';

/** Turns a session cookie into a principal; the web-accounts feature provides it. */
export interface SessionAuthenticator {
  authenticate(request: FastifyRequest, reply: FastifyReply): Promise<Principal | null>;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: AuthMode;
    /** What a key needs to call the route (required wherever keys are accepted); sessions are not scope-limited. */
    scope?: ScopeNeed;
    /** The route reaches past any list of projects (see RouteNeed): a key bound to projects may not call it. */
    allProjects?: boolean;
  }
}

const HOUR_MS = 3_600_000;

/**
 * The one auth gate. Runs before the body is parsed, so an unauthenticated caller learns nothing
 * from validation errors. Key-authenticated requests are counted against the key's hourly limit
 * and every response to them carries the X-RateLimit-* headers.
 */
export function registerAuthGate(app: FastifyInstance, ctx: AppContext, sessions: () => SessionAuthenticator | null): void {
  app.decorateRequest('principal', null);
  app.decorateRequest('stamps', null);

  // Every route that takes keys says what a key needs to call it: forgetting is a start-up error, not an open door.
  app.addHook('onRoute', (route) => {
    const config = (route.config ?? {}) as { auth?: AuthMode; scope?: ScopeNeed };
    if ((config.auth === 'any' || config.auth === 'api_key') && config.scope === undefined) {
      throw new Error(`${route.method} ${route.url} takes API keys but declares no scope (config.scope)`);
    }
  });

  app.addHook('onRequest', async (request, reply) => {
    const config = request.routeOptions.config;
    const mode = config.auth ?? 'public';
    if (mode === 'public') return;

    const key = presentedKey(request);
    if (key !== undefined && mode !== 'session') {
      // A key whose checksum fails is refused before anything is looked up.
      if (typeof key !== 'string' || !isWellFormedKey(key)) throw HttpErrors.INVALID_API_KEY({}, { headers: INVALID_TOKEN_CHALLENGE });
      const hash = hashKey(key);
      const stamps = stampsOf(ctx, request);
      // A call made inside an MCP request was counted (and is recorded) as that request.
      const inner = isInnerCall(request);
      // A key the cache knows is counted while the stamps are read: with Redis, both wait at once.
      const cached = inner ? null : ctx.keys.peek(hash, request.ip);
      const early = cached ? ctx.limiter.hit(limitKey(cached), requestsPerHour(cached.org), HOUR_MS) : null;
      early?.catch(() => {}); // awaited below when it is used
      // A request refused here is not counted (what was counted early is given back): a blocked address,
      // a revoked key or a database outage cannot use up the key's hourly allowance.
      const uncount = () =>
        cached
          ? early
              ?.then(
                () => ctx.limiter.release(limitKey(cached)),
                () => {},
              )
              .catch(() => {})
          : undefined;
      let check: Awaited<ReturnType<typeof ctx.keys.check>>;
      try {
        check = await ctx.keys.check(hash, request.ip, await stamps);
      } catch (error) {
        void uncount();
        throw error;
      }
      if (!check.ok) {
        void uncount();
        throw check.reason === 'invalid' ? HttpErrors.INVALID_API_KEY({}, { headers: INVALID_TOKEN_CHALLENGE }) : HttpErrors.IP_NOT_ALLOWED({ ip: request.ip });
      }
      const principal = check.principal;
      request.principal = principal;
      const sameKey = early !== null && cached?.apiKey.id === principal.apiKey.id;
      if (!sameKey) void uncount();
      const counted = sameKey ? await early : null;
      if (!inner) await countRequest(ctx, principal, reply, counted);
      const limits = principal.apiKey;
      if (!isUnlimited(limits)) {
        const need = { scope: config.scope ?? 'none', allProjects: config.allProjects === true };
        const refused = refusal(limits, need);
        if (refused) throw HttpErrors.INSUFFICIENT_SCOPE(refused, { message: insufficientScopeMessage(refused) });
        if (limits.project_ids !== null && need.scope !== 'none') request.principal = { ...principal, routeScope: need.scope };
      }
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
    throw HttpErrors.UNAUTHORIZED({}, { headers: CHALLENGE });
  });

  // Usage monitoring: counted in memory here, flushed in batches (no write on the request path).
  app.addHook('onResponse', (request, reply, done) => {
    const principal = request.principal;
    if (principal?.apiKey && principal.org && !isInnerCall(request)) ctx.usage.record(principal.apiKey.id, principal.org.id, reply.statusCode, request.ip);
    done();
  });
}

// RFC 9110 asks a 401 to say how to authenticate; MCP clients read it (RFC 6750 words for a bad token).
const CHALLENGE = { 'www-authenticate': 'Bearer realm="funcspec"' };
const INVALID_TOKEN_CHALLENGE = { 'www-authenticate': 'Bearer realm="funcspec", error="invalid_token"' };

/** The key the request carries: `X-Api-Key`, else `Authorization: Bearer <key>`; undefined if neither. */
export function presentedKey(request: FastifyRequest): string | string[] | undefined {
  const key = request.headers['x-api-key'];
  if (key !== undefined) return key;
  const authorization = request.headers.authorization;
  if (authorization === undefined) return undefined;
  const match = /^Bearer +(\S+) *$/i.exec(authorization);
  return match ? match[1] : undefined;
}

function insufficientScopeMessage(refused: ScopeRefusal): string {
  return refused.reason === 'all_projects'
    ? 'This API key is limited to some projects; this operation reaches every project of the organization (or another organization), so it needs a key that is not.'
    : `This API key lacks the ${refused.required_scope} scope this operation needs.`;
}

/**
 * A request made in-process on behalf of an MCP request (see mcp/): the MCP request was counted against
 * the key's limit and recorded in its usage, so this one is not again. Only code in this process can make
 * such a request (Fastify's inject); the header says which of those it is.
 */
export function isInnerCall(request: FastifyRequest): boolean {
  return request.headers[INNER_CALL_HEADER] !== undefined && (request.raw as { isLightMyRequest?: boolean }).isLightMyRequest === true;
}

export const INNER_CALL_HEADER = 'x-funcspec-inner-call';

function limitKey(principal: ApiKeyPrincipal): string {
  return `key:${principal.apiKey.id}`;
}

/** Counts the request (unless already counted) and decides with the key's current limit. */
async function countRequest(ctx: AppContext, principal: ApiKeyPrincipal, reply: FastifyReply, counted: LimitDecision | null): Promise<void> {
  const limit = requestsPerHour(principal.org);
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
