import type { AppContext } from '../context.js';
import type { Executor } from '../db/index.js';
import { hasPasskeys } from '../passkeys/service.js';
import { consumeTotpCode, countTwoFactorGuess, isTotpEnabled } from './totp.js';

export type SecondFactorMethod = 'totp' | 'passkey';

/**
 * The second factors a user has: TOTP once turned on, a passkey once one is registered. Any of them
 * makes every path to a session or a key ask for one (login, agent verify, and so device approval,
 * which needs a session).
 */
export async function secondFactorMethods(db: Executor, userId: string): Promise<SecondFactorMethod[]> {
  const [totp, passkey] = await Promise.all([isTotpEnabled(db, userId), hasPasskeys(db, userId)]);
  return [...(totp ? (['totp'] as const) : []), ...(passkey ? (['passkey'] as const) : [])];
}

/**
 * A second factor as the sign-in paths outside a browser can present it (agent verify): a TOTP code
 * only, counted against the account and consumed against replay. A passkey-only account is refused
 * there and gets its key through the browser.
 */
export async function verifyTotpFactor(ctx: AppContext, userId: string, code: string): Promise<boolean> {
  await countTwoFactorGuess(ctx, userId);
  return consumeTotpCode(ctx, ctx.db, userId, code);
}
