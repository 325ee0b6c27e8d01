import { Secret } from 'otpauth';
import { recordAudit, recordRefusal, type RequestOrigin } from '../audit/audit.js';
import type { AppContext } from '../context.js';
import { AccountErrors } from './errors.js';
import { noticeSecurityChange } from './mails.js';
import { requirePassword } from './passwords.js';
import { deleteOtherSessions } from './sessions.js';
import { consumeSecondFactor, countTwoFactorGuess, matchTotp, newTotpSecret, otpauthUri, qrDataUrl, replaceRecoveryCodes } from './totp.js';

export interface TotpEnrolment {
  secret: string;
  otpauth_uri: string;
  qr_code: string;
}

/** Step 1 (needs the password): a new seed, pending until a code from it confirms it. */
export async function setupTwoFactor(ctx: AppContext, userId: string, password: string, origin: RequestOrigin): Promise<TotpEnrolment> {
  await requirePassword(ctx, userId, password, origin);
  const now = ctx.clock.now();
  const user = await ctx.db.selectFrom('users').select('email').where('id', '=', userId).executeTakeFirstOrThrow();
  const current = await ctx.db.selectFrom('user_totp').select('enabled_at').where('user_id', '=', userId).executeTakeFirst();
  if (current?.enabled_at != null) throw AccountErrors.TWO_FACTOR_ALREADY_ENABLED();

  const secret = newTotpSecret();
  const sealed = ctx.secrets.seal(secret);
  await ctx.db.transaction().execute(async (trx) => {
    const pending = { pending_secret_sealed: sealed, updated_at: now };
    await trx
      .insertInto('user_totp')
      .values({ user_id: userId, secret_sealed: null, enabled_at: null, last_used_step: null, created_at: now, ...pending })
      .onConflict((oc) => oc.column('user_id').doUpdateSet(pending).where('user_totp.enabled_at', 'is', null))
      .execute();
    await recordAudit(trx, now, {
      action: 'two_factor.setup',
      actorUserId: userId,
      targetType: 'user',
      targetId: userId,
      ip: origin.ip,
      userAgent: origin.userAgent,
    });
  });
  const uri = otpauthUri(secret, user.email);
  return { secret, otpauth_uri: uri, qr_code: await qrDataUrl(uri) };
}

/**
 * Step 2: a code from the pending seed turns TOTP on, returns 10 recovery codes (stored hashed) and
 * ends every other session, so no session that skipped the second factor outlives this moment.
 */
export async function enableTwoFactor(ctx: AppContext, input: { userId: string; sessionId: string; code: string }, origin: RequestOrigin): Promise<string[]> {
  await countTwoFactorGuess(ctx, input.userId);
  const now = ctx.clock.now();
  const row = await ctx.db.selectFrom('user_totp').select(['pending_secret_sealed', 'enabled_at']).where('user_id', '=', input.userId).executeTakeFirst();
  if (row?.enabled_at != null) throw AccountErrors.TWO_FACTOR_ALREADY_ENABLED();
  const pendingSealed = row?.pending_secret_sealed ?? null;
  const secret = pendingSealed ? ctx.secrets.unseal(pendingSealed) : null;
  if (!pendingSealed || !secret) throw AccountErrors.TWO_FACTOR_SETUP_REQUIRED();

  const step = matchTotp(new Uint8Array(Secret.fromBase32(secret).buffer), input.code.replace(/\s/g, ''), now);
  if (step === null) {
    await recordRefusal(ctx.db, now, 'two_factor.enable', input.userId, origin, 'two_factor_invalid');
    throw AccountErrors.TWO_FACTOR_INVALID();
  }
  const codes = await ctx.db.transaction().execute(async (trx) => {
    const enabled = await trx
      .updateTable('user_totp')
      // The confirming code's step counts as used: it cannot be replayed to log in.
      .set({ secret_sealed: pendingSealed, pending_secret_sealed: null, enabled_at: now, last_used_step: step, updated_at: now })
      .where('user_id', '=', input.userId)
      .where('enabled_at', 'is', null)
      .where('pending_secret_sealed', '=', pendingSealed)
      .returning('user_id')
      .executeTakeFirst();
    if (!enabled) throw AccountErrors.TWO_FACTOR_ALREADY_ENABLED();
    const codes = await replaceRecoveryCodes(ctx, trx, input.userId, now);
    await deleteOtherSessions(trx, input.userId, input.sessionId);
    await recordAudit(trx, now, {
      action: 'two_factor.enabled',
      actorUserId: input.userId,
      targetType: 'user',
      targetId: input.userId,
      ip: origin.ip,
      userAgent: origin.userAgent,
    });
    return codes;
  });
  await noticeSecurityChange(ctx, input.userId, 'two_factor_enabled', origin);
  return codes;
}

/** Password plus a current TOTP code (or an unused recovery code): the gate to turning 2FA off or re-issuing codes. */
async function requirePasswordAndCode(
  ctx: AppContext,
  input: { userId: string; password: string; code: string },
  origin: RequestOrigin,
  action: string,
): Promise<void> {
  await requirePassword(ctx, input.userId, input.password, origin);
  const row = await ctx.db.selectFrom('user_totp').select('enabled_at').where('user_id', '=', input.userId).executeTakeFirst();
  if (row?.enabled_at == null) throw AccountErrors.TWO_FACTOR_NOT_ENABLED();
  await countTwoFactorGuess(ctx, input.userId);
  if (!(await consumeSecondFactor(ctx, ctx.db, input.userId, input.code, true))) {
    await recordAudit(ctx.db, ctx.clock.now(), {
      action,
      outcome: 'failure',
      actorUserId: input.userId,
      ip: origin.ip,
      userAgent: origin.userAgent,
      details: { reason: 'two_factor_invalid' },
    });
    throw AccountErrors.TWO_FACTOR_INVALID();
  }
}

export async function disableTwoFactor(ctx: AppContext, input: { userId: string; password: string; code: string }, origin: RequestOrigin): Promise<void> {
  await requirePasswordAndCode(ctx, input, origin, 'two_factor.disable');
  const now = ctx.clock.now();
  await ctx.db.transaction().execute(async (trx) => {
    await trx.deleteFrom('user_totp').where('user_id', '=', input.userId).execute();
    await trx.deleteFrom('recovery_codes').where('user_id', '=', input.userId).execute();
    await trx.deleteFrom('login_challenges').where('user_id', '=', input.userId).execute();
    await recordAudit(trx, now, {
      action: 'two_factor.disabled',
      actorUserId: input.userId,
      targetType: 'user',
      targetId: input.userId,
      ip: origin.ip,
      userAgent: origin.userAgent,
    });
  });
  await noticeSecurityChange(ctx, input.userId, 'two_factor_disabled', origin);
}

/** A new set of 10 recovery codes; the old set stops working in the same transaction. */
export async function regenerateRecoveryCodes(
  ctx: AppContext,
  input: { userId: string; password: string; code: string },
  origin: RequestOrigin,
): Promise<string[]> {
  await requirePasswordAndCode(ctx, input, origin, 'two_factor.recovery_codes');
  const now = ctx.clock.now();
  const codes = await ctx.db.transaction().execute(async (trx) => {
    const fresh = await replaceRecoveryCodes(ctx, trx, input.userId, now);
    await recordAudit(trx, now, {
      action: 'two_factor.recovery_codes_regenerated',
      actorUserId: input.userId,
      targetType: 'user',
      targetId: input.userId,
      ip: origin.ip,
      userAgent: origin.userAgent,
    });
    return fresh;
  });
  await noticeSecurityChange(ctx, input.userId, 'recovery_codes_regenerated', origin);
  return codes;
}
