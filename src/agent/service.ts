import { recordAudit, recordRefusal, type RequestOrigin } from '../audit/audit.js';
import type { AppContext } from '../context.js';
import { sql } from 'kysely';
import type { Trx } from '../db/index.js';
import { issuingKeys, type IssueKey } from '../keys/issue.js';
import { isKeyLive } from '../keys/store.js';
import { randomDigits } from '../lib/random.js';
import { sameDigest } from '../lib/secrets.js';
import { uniqueSlug } from '../lib/slug.js';
import { insertOrganization } from '../orgs/store.js';
import { throttle } from '../ratelimit/throttles.js';
import { AccountErrors } from '../accounts/errors.js';
import { secondFactorMethods, verifyTotpFactor } from '../accounts/second-factor.js';
import { userOfProvenMailbox } from '../accounts/users.js';
import { MailErrors } from '../mail/errors.js';
import { AgentErrors } from './errors.js';

const AGENT_KEY_NAME = 'Agent key';
const PASSKEY_ONLY_MESSAGE =
  "This account's second factor is a passkey, which an API call cannot present: get a key through the browser " +
  '(funcspec auth login --web, or Organization Settings → API Keys in the web app).';

function codeDigest(ctx: AppContext, email: string, code: string): string {
  return ctx.secrets.hmac('agent-otp', `${email}\n${code}`);
}

/**
 * Step 1: mail a fresh 6-digit code to `email`, replacing any pending one. The answer is the same for
 * new, known and disabled addresses; only the per-IP and per-e-mail limits can refuse it.
 */
export async function startAgentSignUp(ctx: AppContext, email: string, origin: RequestOrigin): Promise<void> {
  const now = ctx.clock.now();
  // The IP is counted first, so one address spraying e-mails cannot use up other people's quotas.
  await throttle(ctx, 'agent-signup:ip', origin.ip);
  await throttle(ctx, 'agent-signup:email', email);

  const user = await ctx.db.selectFrom('users').select(['id', 'disabled_at']).where('email', '=', email).executeTakeFirst();
  if (user?.disabled_at != null) return;

  const code = randomDigits(6);
  const pending = { code_hmac: codeDigest(ctx, email, code), attempts: 0, created_at: now, expires_at: now + ctx.config.agentOtpTtlMs, consumed_at: null };
  // A new code replaces a pending one but keeps its tries: asking again never buys more guesses.
  const carriedTries = sql<number>`case when agent_otps.consumed_at is null and agent_otps.expires_at > ${now} then agent_otps.attempts else 0 end`;
  await ctx.db
    .insertInto('agent_otps')
    .values({ email, ...pending })
    .onConflict((oc) => oc.column('email').doUpdateSet({ ...pending, attempts: carriedTries }))
    .execute();
  await recordAudit(ctx.db, now, { action: 'agent.sign_up', actorUserId: user?.id, ip: origin.ip, userAgent: origin.userAgent });

  try {
    await ctx.mailer.send({
      to: email,
      subject: `Your FuncSpec verification code: ${code}`,
      text:
        `Your FuncSpec verification code is ${code}\n\n` +
        `It is valid for ${Math.round(ctx.config.agentOtpTtlMs / 60_000)} minutes and can be used once.\n` +
        `If you did not ask for it, ignore this e-mail: nothing happens without the code.\n`,
    });
  } catch (error) {
    ctx.log.error({ err: error }, 'agent sign-up mail failed');
    throw MailErrors.MAIL_DELIVERY_FAILED();
  }
}

export interface AgentVerifyInput {
  email: string;
  otpCode: string;
  totpCode?: string;
}

export interface AgentVerifyResult {
  email: string;
  api_key: string;
  is_new_user: boolean;
}

/**
 * Step 2: check the code and hand out the key. Each try is counted by one atomic UPDATE before the
 * comparison, so N tries are N comparisons whatever the parallelism; consuming the code and issuing
 * the key happen in one transaction, so a code verifies once and a crash cannot eat it.
 */
export async function verifyAgent(ctx: AppContext, input: AgentVerifyInput, origin: RequestOrigin): Promise<AgentVerifyResult> {
  const now = ctx.clock.now();
  const { email } = input;
  // Tries are counted per client first, so one client guessing many addresses gets nowhere.
  await throttle(ctx, 'agent-verify:ip', origin.ip);
  const counted = await ctx.db
    .updateTable('agent_otps')
    .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
    .where('email', '=', email)
    .where('consumed_at', 'is', null)
    .where('expires_at', '>', now)
    .where('attempts', '<', ctx.config.agentOtpMaxAttempts)
    .returning(['code_hmac', 'attempts'])
    .executeTakeFirst();

  if (!counted) {
    const pending = await ctx.db.selectFrom('agent_otps').select(['attempts', 'expires_at', 'consumed_at']).where('email', '=', email).executeTakeFirst();
    if (pending && pending.consumed_at === null && pending.expires_at > now) throw AgentErrors.OTP_MAX_ATTEMPTS();
    throw AgentErrors.OTP_EXPIRED();
  }
  // And per address over all its codes, before the comparison: new codes never add up to more guesses.
  await throttle(ctx, 'agent-verify:email', email);
  if (!sameDigest(counted.code_hmac, codeDigest(ctx, email, input.otpCode))) {
    await recordRefusal(ctx.db, now, 'agent.verify', null, origin, 'otp_invalid');
    throw AgentErrors.OTP_INVALID({ remaining_attempts: ctx.config.agentOtpMaxAttempts - counted.attempts });
  }

  // E-mail alone never bypasses a second factor the user turned on.
  const existing = await ctx.db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirst();
  const methods = existing ? await secondFactorMethods(ctx.db, existing.id) : [];
  if (existing && methods.length > 0) {
    if (!input.totpCode) {
      // A passkey cannot be presented in an API call: such an account gets its key through the browser.
      throw methods.includes('totp')
        ? AgentErrors.TWO_FACTOR_REQUIRED({ methods })
        : AgentErrors.TWO_FACTOR_REQUIRED({ methods }, { message: PASSKEY_ONLY_MESSAGE });
    }
    if (!(await verifyTotpFactor(ctx, existing.id, input.totpCode))) {
      await recordRefusal(ctx.db, now, 'agent.verify', existing.id, origin, 'two_factor_invalid');
      throw AccountErrors.TWO_FACTOR_INVALID();
    }
  }

  return issuingKeys(ctx, async (trx, issueKey) => {
    const consumed = await trx
      .updateTable('agent_otps')
      .set({ consumed_at: now })
      .where('email', '=', email)
      .where('consumed_at', 'is', null)
      .where('code_hmac', '=', counted.code_hmac)
      .returning('email')
      .executeTakeFirst();
    if (!consumed) throw AgentErrors.OTP_EXPIRED(); // a concurrent try with the same code won

    // Disabled after the code was mailed: no key and no organization, and the answer sign-up gives such an address.
    const proven = await userOfProvenMailbox(trx, now, email, 'agent');
    if (!proven) throw AgentErrors.OTP_EXPIRED();
    const { userId, isNewUser } = proven;
    const current = await currentAgentKey(ctx, trx, userId, now);
    const apiKey = current ?? (await mintAgentKey(issueKey, trx, userId, email, now, origin));
    await recordAudit(trx, now, {
      action: 'agent.verify',
      actorUserId: userId,
      ip: origin.ip,
      userAgent: origin.userAgent,
      details: { is_new_user: isNewUser },
    });
    return { email, api_key: apiKey, is_new_user: isNewUser };
  });
}

/** The user's live agent key, unsealed, if they still hold the membership it acts through. */
async function currentAgentKey(ctx: AppContext, trx: Trx, userId: string, now: number): Promise<string | null> {
  const keys = await trx
    .selectFrom('api_keys as k')
    .innerJoin('memberships as m', (join) => join.onRef('m.org_id', '=', 'k.org_id').onRef('m.user_id', '=', 'k.user_id'))
    .select(['k.sealed_key', 'k.revoked_at', 'k.expires_at'])
    .where('k.user_id', '=', userId)
    .where('k.kind', '=', 'agent')
    .orderBy('k.created_at', 'desc')
    .orderBy('k.id', 'desc')
    .execute();
  for (const key of keys) {
    if (!isKeyLive(key, now) || key.revoked_at !== null || !key.sealed_key) continue;
    const plain = ctx.secrets.unseal(key.sealed_key);
    if (plain) return plain;
  }
  return null;
}

/** A new agent key in the first organization the user owns, or in a new personal organization. */
async function mintAgentKey(issueKey: IssueKey, trx: Trx, userId: string, email: string, now: number, origin: RequestOrigin): Promise<string> {
  const owned = await trx
    .selectFrom('memberships')
    .select('org_id')
    .where('user_id', '=', userId)
    .where('role', '=', 'owner')
    .orderBy('created_at')
    .orderBy('org_id')
    .executeTakeFirst();
  let orgId = owned?.org_id;
  if (!orgId) {
    const local = email.split('@')[0]!;
    const org = await insertOrganization(trx, now, { name: `${local}'s organization`, slug: uniqueSlug(local), ownerId: userId });
    await recordAudit(trx, now, {
      action: 'organization.created',
      orgId: org.id,
      actorUserId: userId,
      targetType: 'organization',
      targetId: org.id,
      ip: origin.ip,
      userAgent: origin.userAgent,
    });
    orgId = org.id;
  }
  const { key } = await issueKey({
    orgId,
    userId,
    name: AGENT_KEY_NAME,
    kind: 'agent',
    by: { userId, keyId: null, ip: origin.ip, userAgent: origin.userAgent },
    via: 'agent',
  });
  return key;
}
