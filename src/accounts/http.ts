import '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import type { SessionAuthenticator } from '../auth/gate.js';
import { randomToken } from '../lib/random.js';
import { originOf } from '../http/types.js';
import { AccountErrors } from './errors.js';
import { knownDeviceValue } from './known-devices.js';
import type { LoginOrigin } from './passwords.js';
import { principalForSession } from './sessions.js';

// The HTTP side of web sessions: the cookie of §4 and the Origin rule against cross-site requests.

function httpsOnly(ctx: AppContext): boolean {
  return ctx.config.publicOrigin.startsWith('https:');
}

/** `__Host-funcspec_session` under an https PUBLIC_URL (the browser then insists on Secure, Path=/ and no Domain). */
export function sessionCookieName(ctx: AppContext): string {
  return httpsOnly(ctx) ? '__Host-funcspec_session' : 'funcspec_session';
}

/** The request's cookies, parsed on first use: key-authenticated requests never pay for it. */
function cookiesOf(request: FastifyRequest): Record<string, string | undefined> {
  request.cookies ??= request.headers.cookie ? request.server.parseCookie(request.headers.cookie) : {};
  return request.cookies;
}

function cookieOptions(ctx: AppContext) {
  return { httpOnly: true, sameSite: 'lax' as const, path: '/', secure: httpsOnly(ctx) };
}

export function setSessionCookie(ctx: AppContext, reply: FastifyReply, token: string): void {
  reply.setCookie(sessionCookieName(ctx), token, { ...cookieOptions(ctx), maxAge: Math.floor(ctx.config.sessionMaxAgeMs / 1000) });
}

export function clearSessionCookie(ctx: AppContext, reply: FastifyReply): void {
  reply.clearCookie(sessionCookieName(ctx), cookieOptions(ctx));
}

/** The sign-up cookie: ties a sign-up's password to the browser that chose it (see `verifyEmail`). */
function signUpCookieName(ctx: AppContext): string {
  return httpsOnly(ctx) ? '__Host-funcspec_signup' : 'funcspec_signup';
}

const SIGN_UP_COOKIE = /^[0-9A-Za-z]{43}$/;

/** The browser's sign-up value: the one it already holds (so several sign-ups in one browser all work), else a new one. */
export function signUpBrowser(ctx: AppContext, request: FastifyRequest, reply: FastifyReply, maxAgeMs: number): string {
  const held = cookiesOf(request)[signUpCookieName(ctx)];
  const value = held && SIGN_UP_COOKIE.test(held) ? held : randomToken(32);
  reply.setCookie(signUpCookieName(ctx), value, { ...cookieOptions(ctx), maxAge: Math.floor(maxAgeMs / 1000) });
  return value;
}

/** The sign-up value the browser sent, if any. */
export function signUpCookie(ctx: AppContext, request: FastifyRequest): string | undefined {
  const value = cookiesOf(request)[signUpCookieName(ctx)];
  return value && SIGN_UP_COOKIE.test(value) ? value : undefined;
}

export function clearSignUpCookie(ctx: AppContext, reply: FastifyReply): void {
  reply.clearCookie(signUpCookieName(ctx), cookieOptions(ctx));
}

/**
 * The passkey sign-in cookie: a random value naming this browser's sign-in attempt, so the challenge it
 * was given can only be answered from here (5 minutes, HttpOnly, the challenge keeps its HMAC).
 */
function passkeyAttemptCookieName(ctx: AppContext): string {
  return httpsOnly(ctx) ? '__Host-funcspec_passkey' : 'funcspec_passkey';
}

export function startPasskeyAttempt(ctx: AppContext, reply: FastifyReply, maxAgeMs: number): string {
  const value = randomToken(32);
  reply.setCookie(passkeyAttemptCookieName(ctx), value, { ...cookieOptions(ctx), maxAge: Math.floor(maxAgeMs / 1000) });
  return value;
}

export function passkeyAttempt(ctx: AppContext, request: FastifyRequest): string | undefined {
  const value = cookiesOf(request)[passkeyAttemptCookieName(ctx)];
  return value && SIGN_UP_COOKIE.test(value) ? value : undefined;
}

export function clearPasskeyAttempt(ctx: AppContext, reply: FastifyReply): void {
  reply.clearCookie(passkeyAttemptCookieName(ctx), cookieOptions(ctx));
}

/** The known-device cookie (see known-devices.ts): a year, HttpOnly, set at every completed login. */
function knownDeviceCookieName(ctx: AppContext): string {
  return httpsOnly(ctx) ? '__Host-funcspec_device' : 'funcspec_device';
}

export function rememberDevice(ctx: AppContext, reply: FastifyReply, userId: string): void {
  reply.setCookie(knownDeviceCookieName(ctx), knownDeviceValue(ctx, userId), { ...cookieOptions(ctx), maxAge: 365 * 24 * 3600 });
}

/** Where a request comes from, with the browser's known-device cookie (password guesses are counted by it). */
export function loginOrigin(ctx: AppContext, request: FastifyRequest): LoginOrigin {
  return { ...originOf(request), device: cookiesOf(request)[knownDeviceCookieName(ctx)] || undefined };
}

export function sessionCookie(ctx: AppContext, request: FastifyRequest): string | undefined {
  const value = cookiesOf(request)[sessionCookieName(ctx)];
  return value ? value : undefined;
}

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function sameOrigin(ctx: AppContext, origin: string): boolean {
  try {
    return new URL(origin).origin === ctx.config.publicOrigin;
  } catch {
    return false; // "null" (sandboxed frames, some redirects) and garbage are not our origin
  }
}

/**
 * §4: a state-changing request that carries an Origin other than PUBLIC_URL's is refused. Browsers
 * send Origin on every cross-site POST/PUT/PATCH/DELETE; clients without one (CLI, curl) are not browsers.
 */
export function rejectCrossSite(ctx: AppContext, request: FastifyRequest): void {
  if (!STATE_CHANGING.has(request.method)) return;
  const origin = request.headers.origin;
  if (origin !== undefined && !sameOrigin(ctx, origin)) throw AccountErrors.CSRF_REJECTED({ origin: String(origin).slice(0, 200) });
}

/** The gate's session seam: cookie → principal, with the Origin rule on every cookie-authenticated state change. */
export function createSessionAuthenticator(ctx: AppContext): SessionAuthenticator {
  return {
    async authenticate(request, reply) {
      const token = sessionCookie(ctx, request);
      if (!token) return null;
      rejectCrossSite(ctx, request);
      const principal = await principalForSession(ctx, token);
      if (!principal) clearSessionCookie(ctx, reply);
      return principal;
    },
  };
}
