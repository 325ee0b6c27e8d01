import type { AppContext } from '../context.js';
import { newId } from '../lib/random.js';
import { PasskeyErrors } from './errors.js';
import type { PasskeyChallengePurpose } from './tables.js';

/** How long a ceremony's challenge may be answered. */
export const PASSKEY_CHALLENGE_TTL_MS = 5 * 60_000;

// Passkeys (WebAuthn) for FuncSpec accounts: registration, assertions for a password-free sign-in, for
// the second login step and for re-authentication. The relying party is PUBLIC_URL: its hostname is the
// RP id and its origin the only origin accepted, so a look-alike site's assertion never verifies.
// Every ceremony signs a server-made challenge that is stored hashed, bound to what asked for it, and
// used up by one guarded UPDATE before the response is checked.

/** How long a ceremony may take, from options to response. */

// Challenges: single use, short-lived, bound to the session or sign-in attempt that asked.

function challengeDigest(ctx: AppContext, challenge: string): string {
  return ctx.secrets.hmac('passkey-challenge', challenge);
}

function bindingDigest(ctx: AppContext, purpose: PasskeyChallengePurpose, binding: string): string {
  return ctx.secrets.hmac('passkey-binding', `${purpose}\n${binding}`);
}

interface ChallengeBinding {
  purpose: PasskeyChallengePurpose;
  /** What asked: a session id, a login challenge id, or a sign-in attempt's cookie value. */
  binding: string;
  /** Whose passkeys may answer (null: any user's, for the password-free sign-in). */
  userId: string | null;
}

export async function storeChallenge(ctx: AppContext, challenge: string, bound: ChallengeBinding): Promise<void> {
  const now = ctx.clock.now();
  // Housekeeping: challenges an hour past their end are of no further use.
  await ctx.db
    .deleteFrom('passkey_challenges')
    .where('expires_at', '<', now - 3_600_000)
    .execute();
  await ctx.db
    .insertInto('passkey_challenges')
    .values({
      id: newId('pkc'),
      challenge_hash: challengeDigest(ctx, challenge),
      purpose: bound.purpose,
      user_id: bound.userId,
      binding_hash: bindingDigest(ctx, bound.purpose, bound.binding),
      created_at: now,
      expires_at: now + PASSKEY_CHALLENGE_TTL_MS,
      used_at: null,
    })
    .execute();
}

/** The challenge a response signed, read from its clientDataJSON (checked against the stored one afterwards). */
function signedChallenge(clientDataJSON: string): string | null {
  try {
    const data: unknown = JSON.parse(Buffer.from(clientDataJSON, 'base64url').toString('utf8'));
    const challenge = (data as { challenge?: unknown }).challenge;
    return typeof challenge === 'string' && challenge.length > 0 && challenge.length <= 512 ? challenge : null;
  } catch {
    return null;
  }
}

/**
 * Uses up the challenge a response signed, if it was issued for this purpose to this session or attempt
 * and is still live: one guarded UPDATE, so of concurrent uses exactly one wins and a replay finds nothing.
 */
export async function consumeChallenge(
  ctx: AppContext,
  clientDataJSON: string,
  purpose: PasskeyChallengePurpose,
  binding: string,
): Promise<{ challenge: string; userId: string | null }> {
  const challenge = signedChallenge(clientDataJSON);
  if (!challenge) throw PasskeyErrors.PASSKEY_CHALLENGE_INVALID();
  const now = ctx.clock.now();
  const used = await ctx.db
    .updateTable('passkey_challenges')
    .set({ used_at: now })
    .where('challenge_hash', '=', challengeDigest(ctx, challenge))
    .where('purpose', '=', purpose)
    .where('binding_hash', '=', bindingDigest(ctx, purpose, binding))
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .returning('user_id')
    .executeTakeFirst();
  if (!used) throw PasskeyErrors.PASSKEY_CHALLENGE_INVALID();
  return { challenge, userId: used.user_id };
}
