import type { RequestOrigin } from '../audit/audit.js';
import type { AppContext } from '../context.js';
import type { Executor } from '../db/index.js';
import { newId, randomToken } from '../lib/random.js';
import { countTry, throttle } from '../ratelimit/throttles.js';
import type { EmailTokenPurpose } from './tables.js';

/** E-mailed tokens (verification and reset links) and the allowance of account mails. */

const HOUR_MS = 3_600_000;
export const VERIFY_EMAIL_TTL_MS = 24 * HOUR_MS;
export const RESET_PASSWORD_TTL_MS = HOUR_MS;

/**
 * Mails that anyone can trigger for any address: 429 past the per-IP allowance; past the per-address
 * allowance the request is still answered 202 but no mail goes out (no mail-bombing, no oracle).
 * Sign-up mails and reset mails count separately per address, so sign-ups by someone else can never use
 * up the owner's way back in (a reset link).
 */
export async function mayMail(ctx: AppContext, kind: 'sign-up' | 'reset', email: string, origin: RequestOrigin): Promise<boolean> {
  await throttle(ctx, 'account-mail:ip', origin.ip);
  return countTry(ctx, `account-mail:${kind}`, email);
}

// Mailed tokens: only their HMAC is stored; using one is a single guarded UPDATE.

export function emailTokenDigest(ctx: AppContext, token: string): string {
  return ctx.secrets.hmac('email-token', token);
}

export async function issueEmailToken(
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

export async function consumeEmailToken(ctx: AppContext, db: Executor, token: string, purpose: EmailTokenPurpose, now: number) {
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

export async function voidEmailTokens(db: Executor, userId: string, purpose: EmailTokenPurpose, now: number): Promise<void> {
  await db
    .updateTable('email_tokens')
    .set({ used_at: now })
    .where('user_id', '=', userId)
    .where('purpose', '=', purpose)
    .where('used_at', 'is', null)
    .execute();
}
