import { recordAudit, type RequestOrigin } from '../audit/audit.js';
import type { AppContext } from '../context.js';
import { isUniqueViolation, type Executor } from '../db/index.js';
import { newId, randomToken } from '../lib/random.js';
import { sameDigest } from '../lib/secrets.js';
import { countTry, resetThrottle, throttle } from '../ratelimit/throttles.js';
import { AccountErrors } from './errors.js';
import { deliver } from '../mail/deliver.js';
import { accountExistsMail, inBackground, noticeSecurityChange, resetMail, verificationMail } from './mails.js';
import { hashPassword, isWeakPassword, verifyAgainstDummy, verifyPassword } from './passwords.js';
import { deleteOtherSessions, deleteSessionByToken, insertSession, type NewSession } from './sessions.js';
import type { EmailTokenPurpose } from './tables.js';
import { knownDeviceOf } from './known-devices.js';
import { consumeSecondFactor, consumeTotpCode, countTwoFactorGuess, isTotpEnabled } from './totp.js';
import { secondFactorMethods } from './second-factor.js';
import { verifyAssertion } from '../passkeys/service.js';
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import type { SecondFactorMethod } from './second-factor.js';

const HOUR_MS = 3_600_000;
export const VERIFY_EMAIL_TTL_MS = 24 * HOUR_MS;
export const RESET_PASSWORD_TTL_MS = HOUR_MS;
export const LOGIN_CHALLENGE_TTL_MS = 5 * 60_000;

export interface UserView {
  id: string;
  email: string;
  name: string | null;
  email_verified_at: number | null;
  two_factor_enabled: boolean;
  created_at: number;
}

export async function userView(db: Executor, userId: string): Promise<UserView> {
  const user = await db.selectFrom('users').select(['id', 'email', 'name', 'email_verified_at', 'created_at']).where('id', '=', userId).executeTakeFirstOrThrow();
  return { ...user, two_factor_enabled: await isTotpEnabled(db, userId) };
}

// ---------------------------------------------------------------------------------------------
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
const onDevice = (device: string | null): string => (device ? `:device:${device}` : '');

async function countPasswordGuess(ctx: AppContext, email: string, device: string | null, origin: RequestOrigin): Promise<void> {
  // The client IP (socket address unless a trusted proxy vouches for X-Forwarded-For) first, so one
  // address spraying many accounts is cut off without using up those accounts' allowances.
  await throttle(ctx, 'login:ip', origin.ip);
  await throttle(ctx, 'login:acct', email, onDevice(device));
}

/**
 * Mails that anyone can trigger for any address: 429 past the per-IP allowance; past the per-address
 * allowance the request is still answered 202 but no mail goes out (no mail-bombing, no oracle).
 * Sign-up mails and reset mails count separately per address, so sign-ups by someone else can never use
 * up the owner's way back in (a reset link).
 */
async function mayMail(ctx: AppContext, kind: 'sign-up' | 'reset', email: string, origin: RequestOrigin): Promise<boolean> {
  await throttle(ctx, 'account-mail:ip', origin.ip);
  return countTry(ctx, `account-mail:${kind}`, email);
}

// ---------------------------------------------------------------------------------------------
// Mailed tokens: only their HMAC is stored; using one is a single guarded UPDATE.

function emailTokenDigest(ctx: AppContext, token: string): string {
  return ctx.secrets.hmac('email-token', token);
}

async function issueEmailToken(
  ctx: AppContext,
  db: Executor,
  input: { userId: string; purpose: EmailTokenPurpose; ttlMs: number; passwordHash?: string | null; browserHash?: string | null; now: number },
): Promise<string> {
  const token = randomToken(32);
  await db
    .insertInto('email_tokens')
    .values({
      id: newId('etk'),
      user_id: input.userId,
      purpose: input.purpose,
      token_hash: emailTokenDigest(ctx, token),
      password_hash: input.passwordHash ?? null,
      browser_hash: input.browserHash ?? null,
      created_at: input.now,
      expires_at: input.now + input.ttlMs,
      used_at: null,
    })
    .execute();
  return token;
}

async function consumeEmailToken(ctx: AppContext, db: Executor, token: string, purpose: EmailTokenPurpose, now: number) {
  return db
    .updateTable('email_tokens')
    .set({ used_at: now })
    .where('token_hash', '=', emailTokenDigest(ctx, token))
    .where('purpose', '=', purpose)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .returning(['id', 'user_id', 'password_hash', 'browser_hash'])
    .executeTakeFirst();
}

async function voidEmailTokens(db: Executor, userId: string, purpose: EmailTokenPurpose, now: number): Promise<void> {
  await db.updateTable('email_tokens').set({ used_at: now }).where('user_id', '=', userId).where('purpose', '=', purpose).where('used_at', 'is', null).execute();
}

// ---------------------------------------------------------------------------------------------
// Sign-up and e-mail verification.
//
// A mailed link proves who reads the mailbox, nothing more (account pre-hijacking): whoever signed up
// first with someone else's address chose the password that link carries, and the two mails look the
// same. So a link activates the sign-up's password only in the browser that signed up (the sign-up
// leaves a random value in an HttpOnly cookie; the link keeps its HMAC). Opened anywhere else, the link
// verifies the address, activates no password, and hands the person who proved the mailbox a one-time
// token to choose their own.

export interface SignUpInput {
  email: string;
  password: string;
  name: string | null;
}

/** The HMAC stored for the sign-up cookie of a browser (null when it sent none). */
function browserDigest(ctx: AppContext, browser: string | undefined): string | null {
  return browser ? ctx.secrets.hmac('sign-up-browser', browser) : null;
}

/**
 * The same 202 for every address, and the same work: the password is hashed whether or not the
 * address is known, and exactly one mail goes out either way (a link for a new or still unverified
 * account, "you already have an account" otherwise). `browser` is the sign-up cookie's value, which the
 * caller sets on every answer alike.
 */
export async function signUp(ctx: AppContext, input: SignUpInput, browser: string, origin: RequestOrigin): Promise<void> {
  if (await isWeakPassword(input.password, input.email)) throw AccountErrors.PASSWORD_TOO_WEAK();
  const mailAllowed = await mayMail(ctx, 'sign-up', input.email, origin);
  const passwordHash = await hashPassword(input.password);
  const now = ctx.clock.now();
  const link = { purpose: 'verify_email' as const, ttlMs: VERIFY_EMAIL_TTL_MS, passwordHash, browserHash: browserDigest(ctx, browser), now };

  const outcome = await ctx.db.transaction().execute(async (trx) => {
    const existing = await trx.selectFrom('users').select(['id', 'email_verified_at', 'disabled_at']).where('email', '=', input.email).executeTakeFirst();
    if (existing) {
      if (existing.email_verified_at === null && existing.disabled_at === null) {
        const token = await issueEmailToken(ctx, trx, { userId: existing.id, ...link });
        await recordAudit(trx, now, { action: 'user.sign_up', actorUserId: existing.id, targetType: 'user', targetId: existing.id, ip: origin.ip, userAgent: origin.userAgent, details: { account: 'unverified' } });
        return { kind: 'verify' as const, token };
      }
      await recordAudit(trx, now, { action: 'user.sign_up', outcome: 'failure', actorUserId: existing.id, targetType: 'user', targetId: existing.id, ip: origin.ip, userAgent: origin.userAgent, details: { reason: 'account_exists' } });
      return { kind: 'exists' as const };
    }
    const userId = newId('usr');
    await trx
      .insertInto('users')
      .values({ id: userId, email: input.email, name: input.name, email_verified_at: null, password_hash: passwordHash, disabled_at: null, created_at: now, updated_at: now })
      .execute();
    const token = await issueEmailToken(ctx, trx, { userId, ...link });
    await recordAudit(trx, now, { action: 'user.created', actorUserId: userId, targetType: 'user', targetId: userId, ip: origin.ip, userAgent: origin.userAgent, details: { via: 'web' } });
    return { kind: 'verify' as const, token };
  }).catch(async (error: unknown) => {
    // Two sign-ups for one new address at once: the loser is a sign-up for a known address.
    if (isUniqueViolation(error)) return { kind: 'exists' as const };
    throw error;
  });

  if (!mailAllowed) return;
  if (outcome.kind === 'verify') deliver(ctx, verificationMail(ctx, input.email, outcome.token, VERIFY_EMAIL_TTL_MS));
  else deliver(ctx, accountExistsMail(ctx, input.email));
}

/**
 * 202 always; a new link only for an account that exists, is not verified and is not disabled. Asked
 * for from the browser that signed up, the new link carries that sign-up's password (and works, like the
 * first, only in that browser); asked for from anywhere else, it carries none.
 */
export async function resendVerification(ctx: AppContext, email: string, browser: string | undefined, origin: RequestOrigin): Promise<void> {
  const mailAllowed = await mayMail(ctx, 'sign-up', email, origin);
  const user = await ctx.db.selectFrom('users').select(['id', 'email_verified_at', 'disabled_at']).where('email', '=', email).executeTakeFirst();
  if (!mailAllowed || !user || user.email_verified_at !== null || user.disabled_at !== null) return;
  const now = ctx.clock.now();
  const browserHash = browserDigest(ctx, browser);
  inBackground(ctx, 'verification resend', async () => {
    const ownSignUp = browserHash
      ? await ctx.db
          .selectFrom('email_tokens')
          .select('password_hash')
          .where('user_id', '=', user.id)
          .where('purpose', '=', 'verify_email')
          .where('browser_hash', '=', browserHash)
          .where('password_hash', 'is not', null)
          .orderBy('created_at', 'desc')
          .orderBy('id', 'desc')
          .executeTakeFirst()
      : undefined;
    const token = await issueEmailToken(ctx, ctx.db, {
      userId: user.id, purpose: 'verify_email', ttlMs: VERIFY_EMAIL_TTL_MS, now,
      passwordHash: ownSignUp?.password_hash ?? null, browserHash: ownSignUp ? browserHash : null,
    });
    deliver(ctx, verificationMail(ctx, email, token, VERIFY_EMAIL_TTL_MS));
  });
}

export interface VerifiedEmail {
  user: UserView;
  /** The sign-up's password is active (the link was used in the browser that chose it). */
  passwordSet: boolean;
  /** Otherwise: a one-time token (as a reset link's) with which the person who proved the mailbox chooses one. */
  passwordToken: string | null;
}

/**
 * Uses a verification link once: the account is verified and every other pending link void. The
 * sign-up's password becomes active only when `browser` is the sign-up cookie of the browser that chose
 * it; otherwise the account is left without a password (a squatter's is dropped) and the answer carries a
 * token to choose one.
 */
export async function verifyEmail(ctx: AppContext, token: string, browser: string | undefined, origin: RequestOrigin): Promise<VerifiedEmail> {
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const used = await consumeEmailToken(ctx, trx, token, 'verify_email', now);
    if (!used) throw AccountErrors.TOKEN_INVALID();
    const browserHash = browserDigest(ctx, browser);
    const sameBrowser = used.password_hash !== null && used.browser_hash !== null && browserHash !== null && sameDigest(used.browser_hash, browserHash);
    // A link is for an account still waiting for verification: once it is verified (by another link
    // or by an agent code), older links are dead.
    const verified = await trx
      .updateTable('users')
      .set({ email_verified_at: now, updated_at: now, password_hash: sameBrowser ? used.password_hash : null })
      .where('id', '=', used.user_id)
      .where('email_verified_at', 'is', null)
      .where('disabled_at', 'is', null)
      .returning('id')
      .executeTakeFirst();
    if (!verified) throw AccountErrors.TOKEN_INVALID();
    await voidEmailTokens(trx, used.user_id, 'verify_email', now);
    const passwordToken = sameBrowser
      ? null
      : await issueEmailToken(ctx, trx, { userId: used.user_id, purpose: 'reset_password', ttlMs: RESET_PASSWORD_TTL_MS, now });
    await recordAudit(trx, now, {
      action: 'user.email_verified', actorUserId: used.user_id, targetType: 'user', targetId: used.user_id, ip: origin.ip, userAgent: origin.userAgent,
      details: { password_set: sameBrowser },
    });
    return { user: await userView(trx, used.user_id), passwordSet: sameBrowser, passwordToken };
  });
}

// ---------------------------------------------------------------------------------------------
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
  const user = await ctx.db.selectFrom('users').select(['id', 'password_hash', 'email_verified_at', 'disabled_at']).where('email', '=', input.email).executeTakeFirst();
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
        .values({ id: newId('chl'), user_id: user.id, token_hash: challengeDigest(ctx, challengeToken), attempts: 0, created_at: now, expires_at: now + LOGIN_CHALLENGE_TTL_MS, used_at: null })
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
    await recordAudit(trx, now, { action: 'auth.login', actorUserId: userId, targetType: 'session', targetId: session.id, ip: origin.ip, userAgent: origin.userAgent, details });
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
    await recordAudit(ctx.db, now, { action: 'auth.login', outcome: 'failure', actorUserId: userId, ip: origin.ip, userAgent: origin.userAgent, details: { method: 'passkey', reason: 'account_disabled' } });
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
export async function reauthenticate(ctx: AppContext, input: { userId: string; sessionId: string; proof: Reauthentication }, origin: LoginOrigin): Promise<void> {
  const { proof } = input;
  if ('password' in proof) return requirePassword(ctx, input.userId, proof.password, origin);
  if ('passkey' in proof) {
    await verifyAssertion(ctx, { purpose: 'reauthenticate', binding: input.sessionId, userId: input.userId, response: proof.passkey }, origin);
    return;
  }
  await countTwoFactorGuess(ctx, input.userId);
  if (!(await consumeTotpCode(ctx, ctx.db, input.userId, proof.code))) {
    await recordAudit(ctx.db, ctx.clock.now(), { action: 'auth.reauthenticate', outcome: 'failure', actorUserId: input.userId, ip: origin.ip, userAgent: origin.userAgent, details: { reason: 'two_factor_invalid' } });
    throw AccountErrors.TWO_FACTOR_INVALID();
  }
}

/**
 * The second login step. Each try is counted on the challenge (one guarded UPDATE) and against the
 * account; a TOTP code's time step and a passkey challenge are consumed atomically, so one code or one
 * assertion gives at most one session.
 */
export async function loginTwoFactor(ctx: AppContext, input: SecondStep & { challengeToken: string; replacing?: string }, origin: RequestOrigin): Promise<LoginOutcome> {
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
    await recordAudit(ctx.db, now, { action: 'auth.two_factor', outcome: 'failure', actorUserId: counted.user_id, ip: origin.ip, userAgent: origin.userAgent, details: { reason: 'two_factor_invalid' } });
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

// ---------------------------------------------------------------------------------------------
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
      await recordAudit(trx, now, { action: 'password.reset_requested', actorUserId: user.id, targetType: 'user', targetId: user.id, ip: origin.ip, userAgent: origin.userAgent });
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
    await recordAudit(trx, now, { action: 'password.reset', actorUserId: used.user_id, targetType: 'user', targetId: used.user_id, ip: origin.ip, userAgent: origin.userAgent });
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
    await recordAudit(ctx.db, ctx.clock.now(), { action: 'auth.reauthenticate', outcome: 'failure', actorUserId: userId, ip: origin.ip, userAgent: origin.userAgent, details: { reason: 'password_incorrect' } });
    throw AccountErrors.PASSWORD_INCORRECT();
  }
}

/** The display name (null: none). Not a security fact: no re-authentication, no notice. */
export async function updateProfile(ctx: AppContext, userId: string, profile: { name: string | null }): Promise<UserView> {
  await ctx.db.updateTable('users').set({ name: profile.name }).where('id', '=', userId).execute();
  return userView(ctx.db, userId);
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
    await recordAudit(trx, now, { action: 'password.changed', actorUserId: input.userId, targetType: 'user', targetId: input.userId, ip: origin.ip, userAgent: origin.userAgent });
  });
  await noticeSecurityChange(ctx, input.userId, 'password_changed', origin);
}

// ---------------------------------------------------------------------------------------------
// Sessions of the signed-in user.

export async function endSession(ctx: AppContext, userId: string, sessionId: string, origin: RequestOrigin, action: 'auth.logout' | 'session.revoked'): Promise<boolean> {
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const deleted = await trx.deleteFrom('sessions').where('id', '=', sessionId).where('user_id', '=', userId).returning('id').executeTakeFirst();
    if (!deleted) return false;
    await recordAudit(trx, now, { action, actorUserId: userId, targetType: 'session', targetId: sessionId, ip: origin.ip, userAgent: origin.userAgent });
    return true;
  });
}
