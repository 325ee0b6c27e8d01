import { recordAudit, recordRefusal, type RequestOrigin } from '../audit/audit.js';
import type { AppContext } from '../context.js';
import { AccountErrors } from './errors.js';
import { deliver } from '../mail/deliver.js';
import { inBackground, noticeSecurityChange, resetMail } from './mails.js';
import { hashPassword, isWeakPassword, verifyAgainstDummy, verifyPassword } from './password-hashing.js';
import { deleteOtherSessions } from './sessions.js';
import { knownDeviceOf } from './known-devices.js';
import { RESET_PASSWORD_TTL_MS, consumeEmailToken, emailTokenDigest, issueEmailToken, mayMail, voidEmailTokens } from './email-tokens.js';
import { throttle } from '../ratelimit/throttles.js';
import { type UserView, userView } from './users.js';

// Throttles. Every guess is counted before it is compared (one atomic limiter hit), so N allowed
// tries are N comparisons whatever the parallelism.

/** Where a request comes from, as far as password guesses go: the client, and the browser's known-device cookie. */
export interface LoginOrigin extends RequestOrigin {
  device?: string;
}

/**
 * The per-account password-guess counter is keyed by the e-mail, so it behaves the same for unknown
 * addresses. A known device of the account (see known-devices.ts) has a counter of its own.
 */
export const onDevice = (device: string | null): string => (device ? `:device:${device}` : '');

export async function countPasswordGuess(ctx: AppContext, email: string, device: string | null, origin: RequestOrigin): Promise<void> {
  // The client IP (socket address unless a trusted proxy vouches for X-Forwarded-For) first, so one
  // address spraying many accounts is cut off without using up those accounts' allowances.
  await throttle(ctx, 'login:ip', origin.ip);
  await throttle(ctx, 'login:acct', email, onDevice(device));
}

// Passwords: forgotten, reset, changed.

/** 202 always; a link (1 h, single use) only for an existing, enabled account, stored and mailed after the answer. */
export async function forgotPassword(ctx: AppContext, email: string, origin: RequestOrigin): Promise<void> {
  const mailAllowed = await mayMail(ctx, 'reset', email, origin);
  const user = await ctx.db.selectFrom('users').select(['id', 'disabled_at']).where('email', '=', email).executeTakeFirst();
  if (!mailAllowed || !user || user.disabled_at !== null) return;
  const now = ctx.clock.now();
  inBackground(ctx, 'password reset request', async () => {
    const token = await ctx.db.transaction().execute(async (trx) => {
      const issued = await issueEmailToken(ctx, trx, { userId: user.id, purpose: 'reset_password', ttlMs: RESET_PASSWORD_TTL_MS, now });
      await recordAudit(trx, now, {
        action: 'password.reset_requested',
        actorUserId: user.id,
        targetType: 'user',
        targetId: user.id,
        ip: origin.ip,
        userAgent: origin.userAgent,
      });
      return issued;
    });
    deliver(ctx, resetMail(ctx, email, token, RESET_PASSWORD_TTL_MS));
  });
}

/**
 * Sets a new password through a mailed link: the link works once, every other pending reset link
 * dies, every session ends. It never signs anyone in (so it cannot skip a second factor), but it
 * proves the mailbox, so an unverified address becomes verified.
 */
export async function resetPassword(ctx: AppContext, input: { token: string; password: string }, origin: RequestOrigin): Promise<UserView> {
  const now = ctx.clock.now();
  const pending = await ctx.db
    .selectFrom('email_tokens as t')
    .innerJoin('users as u', 'u.id', 't.user_id')
    .select(['u.email'])
    .where('t.token_hash', '=', emailTokenDigest(ctx, input.token))
    .where('t.purpose', '=', 'reset_password')
    .where('t.used_at', 'is', null)
    .where('t.expires_at', '>', now)
    .where('u.disabled_at', 'is', null)
    .executeTakeFirst();
  if (!pending) throw AccountErrors.TOKEN_INVALID();
  if (await isWeakPassword(input.password, pending.email)) throw AccountErrors.PASSWORD_TOO_WEAK();
  const passwordHash = await hashPassword(input.password);

  const user = await ctx.db.transaction().execute(async (trx) => {
    const used = await consumeEmailToken(ctx, trx, input.token, 'reset_password', now);
    if (!used) throw AccountErrors.TOKEN_INVALID(); // a concurrent use of the same link won
    await trx
      .updateTable('users')
      .set((eb) => ({ password_hash: passwordHash, email_verified_at: eb.fn.coalesce('email_verified_at', eb.val(now)), updated_at: now }))
      .where('id', '=', used.user_id)
      .execute();
    await voidEmailTokens(trx, used.user_id, 'reset_password', now);
    await voidEmailTokens(trx, used.user_id, 'verify_email', now);
    await deleteOtherSessions(trx, used.user_id, null);
    await trx.deleteFrom('login_challenges').where('user_id', '=', used.user_id).execute();
    await recordAudit(trx, now, {
      action: 'password.reset',
      actorUserId: used.user_id,
      targetType: 'user',
      targetId: used.user_id,
      ip: origin.ip,
      userAgent: origin.userAgent,
    });
    return userView(trx, used.user_id);
  });
  await noticeSecurityChange(ctx, user.id, 'password_reset', origin);
  return user;
}

/**
 * Re-authentication for sensitive changes: the account's password, counted against the same
 * per-account and per-IP allowance as logins.
 */
export async function requirePassword(ctx: AppContext, userId: string, password: string, origin: LoginOrigin): Promise<void> {
  const user = await ctx.db.selectFrom('users').select(['email', 'password_hash']).where('id', '=', userId).executeTakeFirstOrThrow();
  await countPasswordGuess(ctx, user.email, knownDeviceOf(ctx, userId, origin.device), origin);
  const ok = user.password_hash ? await verifyPassword(user.password_hash, password) : await verifyAgainstDummy(password);
  if (!ok) {
    await recordRefusal(ctx.db, ctx.clock.now(), 'auth.reauthenticate', userId, origin, 'password_incorrect');
    throw AccountErrors.PASSWORD_INCORRECT();
  }
}

/** Needs the current password; every other session of the user ends, the current one stays. */
export async function changePassword(
  ctx: AppContext,
  input: { userId: string; sessionId: string; currentPassword: string; newPassword: string },
  origin: RequestOrigin,
): Promise<void> {
  await requirePassword(ctx, input.userId, input.currentPassword, origin);
  const user = await ctx.db.selectFrom('users').select('email').where('id', '=', input.userId).executeTakeFirstOrThrow();
  if (await isWeakPassword(input.newPassword, user.email)) throw AccountErrors.PASSWORD_TOO_WEAK();
  const passwordHash = await hashPassword(input.newPassword);
  const now = ctx.clock.now();
  await ctx.db.transaction().execute(async (trx) => {
    await trx.updateTable('users').set({ password_hash: passwordHash, updated_at: now }).where('id', '=', input.userId).execute();
    await voidEmailTokens(trx, input.userId, 'reset_password', now);
    await deleteOtherSessions(trx, input.userId, input.sessionId);
    await trx.deleteFrom('login_challenges').where('user_id', '=', input.userId).execute(); // half-done logins with the old password
    await recordAudit(trx, now, {
      action: 'password.changed',
      actorUserId: input.userId,
      targetType: 'user',
      targetId: input.userId,
      ip: origin.ip,
      userAgent: origin.userAgent,
    });
  });
  await noticeSecurityChange(ctx, input.userId, 'password_changed', origin);
}
