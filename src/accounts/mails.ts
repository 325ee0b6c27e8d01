import type { RequestOrigin } from '../audit/audit.js';
import type { AppContext } from '../context.js';
import { deliver } from '../mail/deliver.js';
import type { Mail } from '../mail/mailer.js';

/**
 * Work that only happens for some addresses (storing a link for a known account) runs after the answer,
 * like the mail itself: otherwise the time to answer tells a known address from an unknown one.
 */
export function inBackground(ctx: AppContext, what: string, task: () => Promise<void>): void {
  // Not even its synchronous start (SQLite answers synchronously) may delay the answer.
  setImmediate(() => void task().catch((error: unknown) => ctx.log.error({ err: error }, `${what} failed`)));
}

function hours(ms: number): string {
  const h = Math.round(ms / 3_600_000);
  return h === 1 ? '1 hour' : `${h} hours`;
}

export function verificationMail(ctx: AppContext, to: string, token: string, ttlMs: number): Mail {
  const link = `${ctx.config.publicUrl}/verify-email?token=${encodeURIComponent(token)}`;
  return {
    to,
    subject: 'Confirm your e-mail address for FuncSpec',
    text:
      `Welcome to FuncSpec.\n\nConfirm your e-mail address by opening this link:\n\n${link}\n\n` +
      `The link works once, for ${hours(ttlMs)}. If you did not sign up, ignore this e-mail: no account is activated without it.\n`,
  };
}

export function accountExistsMail(ctx: AppContext, to: string): Mail {
  return {
    to,
    subject: 'You already have a FuncSpec account',
    text:
      `Someone (probably you) tried to sign up for FuncSpec with this e-mail address, but you already have an account.\n\n` +
      `Sign in at ${ctx.config.publicUrl}/ . If you forgot your password, ask for a reset at ${ctx.config.publicUrl}/reset-password .\n` +
      `If it was not you, ignore this e-mail: nothing was changed.\n`,
  };
}

export function resetMail(ctx: AppContext, to: string, token: string, ttlMs: number): Mail {
  const link = `${ctx.config.publicUrl}/reset-password?token=${encodeURIComponent(token)}`;
  return {
    to,
    subject: 'Reset your FuncSpec password',
    text:
      `Someone (probably you) asked to reset the password of your FuncSpec account.\n\nChoose a new password here:\n\n${link}\n\n` +
      `The link works once, for ${hours(ttlMs)}. Resetting signs you out everywhere. If it was not you, ignore this e-mail: your password stays as it is.\n`,
  };
}

/** What a security notice reports; each names a change that an attacker with the account would make. */
const SECURITY_CHANGES = {
  password_changed: 'The password of your FuncSpec account was changed. Your other sessions were signed out.',
  password_reset: 'The password of your FuncSpec account was reset with a link sent to this address. Every session was signed out.',
  two_factor_enabled: 'Two-factor authentication was turned on for your FuncSpec account.',
  two_factor_disabled: 'Two-factor authentication was turned off for your FuncSpec account.',
  recovery_codes_regenerated: 'New two-factor recovery codes were made for your FuncSpec account; the old ones no longer work.',
  passkey_added: 'A passkey was added to your FuncSpec account. It signs in without a password and counts as a second factor.',
  passkey_removed: 'A passkey was removed from your FuncSpec account; it no longer signs in.',
} as const;

export type SecurityChange = keyof typeof SECURITY_CHANGES;

/**
 * Sent after a change to how the account signs in, so its owner hears of a change they did not make.
 * It carries no link that acts: only where to go.
 */
export function securityNoticeMail(ctx: AppContext, to: string, change: SecurityChange, at: number, origin: RequestOrigin): Mail {
  return {
    to,
    subject: 'Security notice for your FuncSpec account',
    text:
      `${SECURITY_CHANGES[change]}\n\nWhen: ${new Date(at).toISOString()}\nFrom: ${origin.ip}${origin.userAgent ? ` (${origin.userAgent.slice(0, 200)})` : ''}\n\n` +
      `If this was you, there is nothing to do. If it was not, reset your password at ${ctx.config.publicUrl}/reset-password ` +
      `(it signs out every session) and check your API keys.\n`,
  };
}

/** The security notice for `userId`, to their current address, after the change committed. */
export async function noticeSecurityChange(ctx: AppContext, userId: string, change: SecurityChange, origin: RequestOrigin): Promise<void> {
  const user = await ctx.db.selectFrom('users').select('email').where('id', '=', userId).executeTakeFirst();
  if (user) deliver(ctx, securityNoticeMail(ctx, user.email, change, ctx.clock.now(), origin));
}
