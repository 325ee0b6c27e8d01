import { pageOf, type Page } from '../db/paging.js';
import { type RequestOrigin, recordAudit } from '../audit/audit.js';
import type { Principal } from '../auth/principal.js';
import type { AppContext } from '../context.js';
import type { Executor } from '../db/index.js';
import { newId, randomToken } from '../lib/random.js';

/** Cookie values are randomToken(32): 43 base62 characters (256 bits); anything else is refused without a database read. */
const TOKEN_PATTERN = /^[A-Za-z0-9]{43}$/;

export function sessionTokenDigest(ctx: AppContext, token: string): string {
  return ctx.secrets.hmac('session', token);
}

/**
 * How often activity is written back: a 1/1440 share of the idle timeout (one minute for 24 h).
 * Requests in between cost one indexed read and no write; short test timeouts still renew.
 */
export function renewalIntervalMs(ctx: AppContext): number {
  return Math.max(1, Math.floor(ctx.config.sessionIdleTimeoutMs / 1440));
}

/** The moment a session ends if nothing else happens: idle deadline or absolute age, whichever is first. */
export function sessionEndsAt(ctx: AppContext, session: { last_seen_at: number; expires_at: number }): number {
  return Math.min(session.last_seen_at + ctx.config.sessionIdleTimeoutMs, session.expires_at);
}

export interface NewSession {
  id: string;
  /** The cookie value; only its HMAC is stored. */
  token: string;
  endsAt: number;
}

/** A new session with a fresh token (every login gets one); the user's dead sessions are swept on the way. */
export async function insertSession(ctx: AppContext, db: Executor, userId: string, now: number, origin: RequestOrigin): Promise<NewSession> {
  await db
    .deleteFrom('sessions')
    .where('user_id', '=', userId)
    .where((eb) => eb.or([eb('expires_at', '<=', now), eb('last_seen_at', '<=', now - ctx.config.sessionIdleTimeoutMs)]))
    .execute();
  const token = randomToken(32);
  const row = {
    id: newId('ses'),
    user_id: userId,
    token_hash: sessionTokenDigest(ctx, token),
    created_at: now,
    last_seen_at: now,
    expires_at: now + ctx.config.sessionMaxAgeMs,
    ip: origin.ip,
    user_agent: origin.userAgent?.slice(0, 512) ?? null,
  };
  await db.insertInto('sessions').values(row).execute();
  return { id: row.id, token, endsAt: sessionEndsAt(ctx, row) };
}

/**
 * The principal a session cookie stands for, or null (malformed, unknown, idle too long, too old,
 * ended, user disabled). One indexed read; the activity stamp is written only when it is older than
 * the renewal interval.
 */
export async function principalForSession(ctx: AppContext, token: string): Promise<Principal | null> {
  if (!TOKEN_PATTERN.test(token)) return null;
  const now = ctx.clock.now();
  const row = await ctx.db
    .selectFrom('sessions as s')
    .innerJoin('users as u', 'u.id', 's.user_id')
    .select(['s.id', 's.last_seen_at', 's.expires_at', 'u.id as user_id', 'u.email', 'u.name', 'u.disabled_at'])
    .where('s.token_hash', '=', sessionTokenDigest(ctx, token))
    .executeTakeFirst();
  if (!row) return null;
  if (row.disabled_at !== null || sessionEndsAt(ctx, row) <= now) {
    await ctx.db.deleteFrom('sessions').where('id', '=', row.id).execute();
    return null;
  }
  let lastSeen = row.last_seen_at;
  if (now - lastSeen >= renewalIntervalMs(ctx)) {
    await ctx.db.updateTable('sessions').set({ last_seen_at: now }).where('id', '=', row.id).where('last_seen_at', '<', now).execute();
    lastSeen = now;
  }
  return {
    via: 'session',
    user: { id: row.user_id, email: row.email, name: row.name },
    org: null,
    role: null,
    apiKey: null,
    session: { id: row.id, expires_at: sessionEndsAt(ctx, { last_seen_at: lastSeen, expires_at: row.expires_at }) },
  };
}

/** Ends the session a cookie value names (logout, or a new login replacing it). */
export async function deleteSessionByToken(ctx: AppContext, token: string): Promise<void> {
  if (!TOKEN_PATTERN.test(token)) return;
  await ctx.db.deleteFrom('sessions').where('token_hash', '=', sessionTokenDigest(ctx, token)).execute();
}

/** Ends every session of a user except `keepId` (password change, two-factor turned on). */
export async function deleteOtherSessions(db: Executor, userId: string, keepId: string | null): Promise<void> {
  let query = db.deleteFrom('sessions').where('user_id', '=', userId);
  if (keepId) query = query.where('id', '!=', keepId);
  await query.execute();
}

// Sessions of the signed-in user.

export async function endSession(
  ctx: AppContext,
  userId: string,
  sessionId: string,
  origin: RequestOrigin,
  action: 'auth.logout' | 'session.revoked',
): Promise<boolean> {
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const deleted = await trx.deleteFrom('sessions').where('id', '=', sessionId).where('user_id', '=', userId).returning('id').executeTakeFirst();
    if (!deleted) return false;
    await recordAudit(trx, now, { action, actorUserId: userId, targetType: 'session', targetId: sessionId, ip: origin.ip, userAgent: origin.userAgent });
    return true;
  });
}

/** The user's live sessions (not past their end or idle limit), newest first. */
export async function listSessions(ctx: AppContext, userId: string, page: Page) {
  const now = ctx.clock.now();
  const live = ctx.db
    .selectFrom('sessions')
    .where('user_id', '=', userId)
    .where('expires_at', '>', now)
    .where('last_seen_at', '>', now - ctx.config.sessionIdleTimeoutMs)
    .select(['id', 'created_at', 'last_seen_at', 'expires_at', 'ip', 'user_agent'])
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc');
  return pageOf(live, page);
}
