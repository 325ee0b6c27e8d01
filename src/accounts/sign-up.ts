import { recordAudit, type RequestOrigin } from '../audit/audit.js';
import type { AppContext } from '../context.js';
import { isUniqueViolation } from '../db/index.js';
import { newId } from '../lib/random.js';
import { sameDigest } from '../lib/secrets.js';
import { AccountErrors } from './errors.js';
import { deliver } from '../mail/deliver.js';
import { accountExistsMail, inBackground, verificationMail } from './mails.js';
import { hashPassword, isWeakPassword } from './password-hashing.js';
import { RESET_PASSWORD_TTL_MS, VERIFY_EMAIL_TTL_MS, consumeEmailToken, issueEmailToken, mayMail, voidEmailTokens } from './email-tokens.js';
import { type UserView, userView } from './users.js';

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

  const outcome = await ctx.db
    .transaction()
    .execute(async (trx) => {
      const existing = await trx.selectFrom('users').select(['id', 'email_verified_at', 'disabled_at']).where('email', '=', input.email).executeTakeFirst();
      if (existing) {
        if (existing.email_verified_at === null && existing.disabled_at === null) {
          const token = await issueEmailToken(ctx, trx, { userId: existing.id, ...link });
          await recordAudit(trx, now, {
            action: 'user.sign_up',
            actorUserId: existing.id,
            targetType: 'user',
            targetId: existing.id,
            ip: origin.ip,
            userAgent: origin.userAgent,
            details: { account: 'unverified' },
          });
          return { kind: 'verify' as const, token };
        }
        await recordAudit(trx, now, {
          action: 'user.sign_up',
          outcome: 'failure',
          actorUserId: existing.id,
          targetType: 'user',
          targetId: existing.id,
          ip: origin.ip,
          userAgent: origin.userAgent,
          details: { reason: 'account_exists' },
        });
        return { kind: 'exists' as const };
      }
      const userId = newId('usr');
      await trx
        .insertInto('users')
        .values({
          id: userId,
          email: input.email,
          name: input.name,
          email_verified_at: null,
          password_hash: passwordHash,
          disabled_at: null,
          created_at: now,
          updated_at: now,
        })
        .execute();
      const token = await issueEmailToken(ctx, trx, { userId, ...link });
      await recordAudit(trx, now, {
        action: 'user.created',
        actorUserId: userId,
        targetType: 'user',
        targetId: userId,
        ip: origin.ip,
        userAgent: origin.userAgent,
        details: { via: 'web' },
      });
      return { kind: 'verify' as const, token };
    })
    .catch(async (error: unknown) => {
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
      userId: user.id,
      purpose: 'verify_email',
      ttlMs: VERIFY_EMAIL_TTL_MS,
      now,
      passwordHash: ownSignUp?.password_hash ?? null,
      browserHash: ownSignUp ? browserHash : null,
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
      action: 'user.email_verified',
      actorUserId: used.user_id,
      targetType: 'user',
      targetId: used.user_id,
      ip: origin.ip,
      userAgent: origin.userAgent,
      details: { password_set: sameBrowser },
    });
    return { user: await userView(trx, used.user_id), passwordSet: sameBrowser, passwordToken };
  });
}
