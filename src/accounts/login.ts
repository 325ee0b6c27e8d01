import { recordAudit, recordRefusal, type RequestOrigin } from '../audit/audit.js';
import type { AppContext } from '../context.js';
import { newId, randomToken } from '../lib/random.js';
import { resetThrottle, throttle } from '../ratelimit/throttles.js';
import { AccountErrors } from './errors.js';
import { verifyAgainstDummy, verifyPassword } from './password-hashing.js';
import { deleteSessionByToken, insertSession, type NewSession } from './sessions.js';
import { knownDeviceOf } from './known-devices.js';
import { consumeSecondFactor, consumeTotpCode, countTwoFactorGuess } from './totp.js';
import { secondFactorMethods } from './second-factor.js';
import { verifyAssertion } from '../passkeys/service.js';
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import type { SecondFactorMethod } from './second-factor.js';
import { countPasswordGuess, onDevice, requirePassword, type LoginOrigin } from './passwords.js';
import { type UserView, userView } from './users.js';

export const LOGIN_CHALLENGE_TTL_MS = 5 * 60_000;

// Login.

export type SignedInOutcome = { kind: 'session'; user: UserView; session: NewSession };
export type LoginOutcome = SignedInOutcome | { kind: 'challenge'; challengeToken: string; methods: SecondFactorMethod[] };

function challengeDigest(ctx: AppContext, token: string): string {
  return ctx.secrets.hmac('login-challenge', token);
}

/**
 * Password login. Unknown e-mail, account without a password and wrong password take the same path
 * and the same time (a dummy hash is checked) and get the same answer; EMAIL_NOT_VERIFIED and
 * ACCOUNT_DISABLED come only after the right password. With a second factor (TOTP or a passkey), the
 * answer is a short-lived challenge, never a session.
 */
export async function login(ctx: AppContext, input: { email: string; password: string; replacing?: string }, origin: LoginOrigin): Promise<LoginOutcome> {
  const user = await ctx.db
    .selectFrom('users')
    .select(['id', 'password_hash', 'email_verified_at', 'disabled_at'])
    .where('email', '=', input.email)
    .executeTakeFirst();
  const device = knownDeviceOf(ctx, user?.id, origin.device);
  await countPasswordGuess(ctx, input.email, device, origin);
  const passwordOk = user?.password_hash ? await verifyPassword(user.password_hash, input.password) : await verifyAgainstDummy(input.password);
  const now = ctx.clock.now();
  const audit = { action: 'auth.login', actorUserId: user?.id ?? null, ip: origin.ip, userAgent: origin.userAgent };

  if (!user || !passwordOk) {
    await recordAudit(ctx.db, now, { ...audit, outcome: 'failure', details: { reason: 'invalid_credentials' } });
    throw AccountErrors.INVALID_CREDENTIALS();
  }
  if (user.disabled_at !== null) {
    await recordAudit(ctx.db, now, { ...audit, outcome: 'failure', details: { reason: 'account_disabled' } });
    throw AccountErrors.ACCOUNT_DISABLED();
  }
  if (user.email_verified_at === null) {
    await recordAudit(ctx.db, now, { ...audit, outcome: 'failure', details: { reason: 'email_not_verified' } });
    throw AccountErrors.EMAIL_NOT_VERIFIED();
  }
  await resetThrottle(ctx, 'login:acct', input.email, onDevice(device));

  const methods = await secondFactorMethods(ctx.db, user.id);
  if (methods.length > 0) {
    const challengeToken = randomToken(32);
    await ctx.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('login_challenges').where('user_id', '=', user.id).where('expires_at', '<=', now).execute();
      await trx
        .insertInto('login_challenges')
        .values({
          id: newId('chl'),
          user_id: user.id,
          token_hash: challengeDigest(ctx, challengeToken),
          attempts: 0,
          created_at: now,
          expires_at: now + LOGIN_CHALLENGE_TTL_MS,
          used_at: null,
        })
        .execute();
      await recordAudit(trx, now, { ...audit, details: { step: 'password', two_factor_required: true } });
    });
    return { kind: 'challenge', challengeToken, methods };
  }

  return startSession(ctx, user.id, now, origin, input.replacing, { method: 'password' });
}

async function startSession(
  ctx: AppContext,
  userId: string,
  now: number,
  origin: RequestOrigin,
  replacing: string | undefined,
  details: Record<string, unknown>,
): Promise<SignedInOutcome> {
  // The browser's previous session (if any) ends: a login always means a new token.
  if (replacing) await deleteSessionByToken(ctx, replacing);
  return ctx.db.transaction().execute(async (trx) => {
    const session = await insertSession(ctx, trx, userId, now, origin);
    await recordAudit(trx, now, {
      action: 'auth.login',
      actorUserId: userId,
      targetType: 'session',
      targetId: session.id,
      ip: origin.ip,
      userAgent: origin.userAgent,
      details,
    });
    return { kind: 'session' as const, user: await userView(trx, userId), session };
  });
}

/**
 * A login challenge that can still be answered (not used, not expired, tries left), for the passkey
 * options of the second step; null otherwise.
 */
export async function liveLoginChallenge(ctx: AppContext, challengeToken: string): Promise<{ id: string; userId: string } | null> {
  const row = await ctx.db
    .selectFrom('login_challenges')
    .select(['id', 'user_id'])
    .where('token_hash', '=', challengeDigest(ctx, challengeToken))
    .where('used_at', 'is', null)
    .where('expires_at', '>', ctx.clock.now())
    .where('attempts', '<', ctx.config.twoFactorMaxAttemptsPerChallenge)
    .executeTakeFirst();
  return row ? { id: row.id, userId: row.user_id } : null;
}

/** What answers the second login step: a TOTP or recovery code, or a passkey assertion for a challenge bound to this login. */
export type SecondStep = { code: string; passkey?: undefined } | { code?: undefined; passkey: AuthenticationResponseJSON };

/**
 * Sign-in with a passkey and no password: a discoverable credential, unlocked by the person (user
 * verification), answering a challenge bound to this browser's sign-in attempt. It makes the same
 * session, cookie and audit event as a password + second-factor login.
 */
export async function loginWithPasskey(
  ctx: AppContext,
  input: { attempt: string; response: AuthenticationResponseJSON; replacing?: string },
  origin: RequestOrigin,
): Promise<SignedInOutcome> {
  await throttle(ctx, 'login:ip', origin.ip);
  const { userId, passkeyId } = await verifyAssertion(ctx, { purpose: 'sign_in', binding: input.attempt, userId: null, response: input.response }, origin);
  const now = ctx.clock.now();
  const user = await ctx.db.selectFrom('users').select('disabled_at').where('id', '=', userId).executeTakeFirst();
  if (!user || user.disabled_at !== null) {
    await recordAudit(ctx.db, now, {
      action: 'auth.login',
      outcome: 'failure',
      actorUserId: userId,
      ip: origin.ip,
      userAgent: origin.userAgent,
      details: { method: 'passkey', reason: 'account_disabled' },
    });
    throw AccountErrors.ACCOUNT_DISABLED();
  }
  return startSession(ctx, userId, now, origin, input.replacing, { method: 'passkey', passkey_id: passkeyId });
}

/** Proof that the signed-in person is at the keyboard now: the password, a current TOTP code, or a fresh passkey assertion. */
export type Reauthentication = { password: string } | { code: string } | { passkey: AuthenticationResponseJSON };

/**
 * Re-authentication for sensitive changes that a passkey-only person must be able to make too. A code
 * counts as a two-factor guess; a passkey assertion answers a challenge bound to this session.
 */
export async function reauthenticate(
  ctx: AppContext,
  input: { userId: string; sessionId: string; proof: Reauthentication },
  origin: LoginOrigin,
): Promise<void> {
  const { proof } = input;
  if ('password' in proof) return requirePassword(ctx, input.userId, proof.password, origin);
  if ('passkey' in proof) {
    await verifyAssertion(ctx, { purpose: 'reauthenticate', binding: input.sessionId, userId: input.userId, response: proof.passkey }, origin);
    return;
  }
  await countTwoFactorGuess(ctx, input.userId);
  if (!(await consumeTotpCode(ctx, ctx.db, input.userId, proof.code))) {
    await recordRefusal(ctx.db, ctx.clock.now(), 'auth.reauthenticate', input.userId, origin, 'two_factor_invalid');
    throw AccountErrors.TWO_FACTOR_INVALID();
  }
}

/**
 * The second login step. Each try is counted on the challenge (one guarded UPDATE) and against the
 * account; a TOTP code's time step and a passkey challenge are consumed atomically, so one code or one
 * assertion gives at most one session.
 */
export async function loginTwoFactor(
  ctx: AppContext,
  input: SecondStep & { challengeToken: string; replacing?: string },
  origin: RequestOrigin,
): Promise<LoginOutcome> {
  const max = ctx.config.twoFactorMaxAttemptsPerChallenge;
  await throttle(ctx, 'login:ip', origin.ip);
  const now = ctx.clock.now();
  const counted = await ctx.db
    .updateTable('login_challenges')
    .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
    .where('token_hash', '=', challengeDigest(ctx, input.challengeToken))
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .where('attempts', '<', max)
    .returning(['id', 'user_id', 'attempts'])
    .executeTakeFirst();
  if (!counted) throw AccountErrors.TWO_FACTOR_CHALLENGE_INVALID();
  await countTwoFactorGuess(ctx, counted.user_id);

  if (input.passkey) {
    // Throws (and audits) when the assertion does not verify; the challenge keeps its counted try.
    await verifyAssertion(ctx, { purpose: 'two_factor', binding: counted.id, userId: counted.user_id, response: input.passkey }, origin);
  }
  const method = input.passkey ? 'passkey' : await consumeSecondFactor(ctx, ctx.db, counted.user_id, input.code, true);
  if (!method) {
    await recordRefusal(ctx.db, now, 'auth.two_factor', counted.user_id, origin, 'two_factor_invalid');
    throw AccountErrors.TWO_FACTOR_INVALID({ remaining_attempts: max - counted.attempts });
  }
  const claimed = await ctx.db
    .updateTable('login_challenges')
    .set({ used_at: now })
    .where('id', '=', counted.id)
    .where('used_at', 'is', null)
    .returning('id')
    .executeTakeFirst();
  if (!claimed) throw AccountErrors.TWO_FACTOR_CHALLENGE_INVALID();
  const user = await ctx.db.selectFrom('users').select('disabled_at').where('id', '=', counted.user_id).executeTakeFirst();
  if (!user || user.disabled_at !== null) throw AccountErrors.TWO_FACTOR_CHALLENGE_INVALID();
  await resetThrottle(ctx, '2fa:user', counted.user_id);
  return startSession(ctx, counted.user_id, now, origin, input.replacing, { method: 'password', second_factor: method });
}
