import type { FastifyRequest } from 'fastify';
import type { Principal, SessionPrincipal } from '../auth/principal.js';
import type { AppContext } from '../context.js';
import type { Stamps } from '../stamps/stamps.js';
import { HttpErrors } from './errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the auth gate (auth/gate.ts) before the body is parsed. */
    principal: Principal | null;
    /** The cache stamps for this request, read once (see stampsOf). */
    stamps: Promise<Stamps> | null;
  }
}

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

/** The caller of a session-only route (`auth: 'session'`): the type says it has a session. */
export function sessionPrincipalOf(request: FastifyRequest): SessionPrincipal {
  const principal = principalOf(request);
  if (principal.via !== 'session') throw HttpErrors.UNAUTHORIZED();
  return principal;
}
