import type { AppContext, SecondFactor, SecondFactorMethod } from '../context.js';
import type { Executor } from '../db/index.js';
import { hasPasskeys } from '../passkeys/service.js';
import { consumeTotpCode, countTwoFactorGuess, isTotpEnabled } from './totp.js';

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
 * The second factor as the sign-in paths outside a browser see it (agent verify): they can present a
 * TOTP code only, so a passkey-only account is refused there and gets its key through the browser.
 */
export function accountSecondFactor(ctx: AppContext): SecondFactor {
  return {
    methods: (userId) => secondFactorMethods(ctx.db, userId),
    async verify(userId, code) {
      await countTwoFactorGuess(ctx, userId);
      return consumeTotpCode(ctx, ctx.db, userId, code);
    },
  };
}
