import type {
  AuthenticationResponseJSON,
  AuthenticatorTransportFuture,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { recordAudit, type RequestOrigin } from '../audit/audit.js';
import { noticeSecurityChange } from '../accounts/mails.js';
import { deleteOtherSessions } from '../accounts/sessions.js';
import { isTotpEnabled } from '../accounts/totp.js';
import type { AppContext } from '../context.js';
import { isUniqueViolation, type Executor } from '../db/index.js';
import { newId } from '../lib/random.js';
import { PasskeyErrors } from './errors.js';
import type { PasskeyChallengePurpose } from './tables.js';
import { consumeChallenge, PASSKEY_CHALLENGE_TTL_MS, storeChallenge } from './challenges.js';

// Passkeys (WebAuthn) for FuncSpec accounts: registration, assertions for a password-free sign-in, for
// the second login step and for re-authentication. The relying party is PUBLIC_URL: its hostname is the
// RP id and its origin the only origin accepted, so a look-alike site's assertion never verifies.
// Every ceremony signs a server-made challenge that is stored hashed, bound to what asked for it, and
// used up by one guarded UPDATE before the response is checked.

/** How long a ceremony may take, from options to response. */

// Loaded with the first ceremony: an idle process does not hold the WebAuthn library.
const webauthn = () => import('@simplewebauthn/server');

function relyingParty(ctx: AppContext) {
  return { id: new URL(ctx.config.publicUrl).hostname, origin: ctx.config.publicOrigin, name: 'FuncSpec' };
}

/** The user handle the authenticator keeps with a discoverable credential: the user id, never the e-mail. */
function userHandleOf(userId: string): string {
  return Buffer.from(userId, 'utf8').toString('base64url');
}

export interface PasskeyView {
  id: string;
  name: string;
  device_type: 'singleDevice' | 'multiDevice';
  backed_up: boolean;
  transports: string[];
  created_at: number;
  last_used_at: number | null;
}

const VIEW_COLUMNS = ['id', 'name', 'device_type', 'backed_up', 'transports', 'created_at', 'last_used_at'] as const;

function view(row: {
  id: string;
  name: string;
  device_type: 'singleDevice' | 'multiDevice';
  backed_up: number;
  transports: string;
  created_at: number;
  last_used_at: number | null;
}): PasskeyView {
  return { ...row, backed_up: row.backed_up === 1, transports: parseTransports(row.transports) };
}

function parseTransports(json: string): AuthenticatorTransportFuture[] {
  try {
    const parsed: unknown = JSON.parse(json);
    return Array.isArray(parsed) ? parsed.filter((t): t is AuthenticatorTransportFuture => typeof t === 'string') : [];
  } catch {
    return [];
  }
}

export async function hasPasskeys(db: Executor, userId: string): Promise<boolean> {
  const row = await db.selectFrom('passkeys').select('id').where('user_id', '=', userId).limit(1).executeTakeFirst();
  return row !== undefined;
}

export async function listPasskeys(ctx: AppContext, userId: string): Promise<PasskeyView[]> {
  const rows = await ctx.db
    .selectFrom('passkeys')
    .select(VIEW_COLUMNS)
    .where('user_id', '=', userId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
  return rows.map(view);
}

// ---------------------------------------------------------------------------------------------
// Registration (a signed-in user adds a passkey).

export async function registrationOptions(
  ctx: AppContext,
  user: { id: string; email: string; name: string | null },
  sessionId: string,
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const rp = relyingParty(ctx);
  const existing = await ctx.db.selectFrom('passkeys').select(['credential_id', 'transports']).where('user_id', '=', user.id).execute();
  const { generateRegistrationOptions } = await webauthn();
  const options = await generateRegistrationOptions({
    rpName: rp.name,
    rpID: rp.id,
    userName: user.email,
    userDisplayName: user.name ?? user.email,
    userID: new Uint8Array(Buffer.from(user.id, 'utf8')),
    attestationType: 'none',
    // A passkey: kept on the authenticator (so it can sign in without a user name) and unlocked by the person.
    authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
    excludeCredentials: existing.map((row) => ({ id: row.credential_id, transports: parseTransports(row.transports) })),
    timeout: PASSKEY_CHALLENGE_TTL_MS,
  });
  await storeChallenge(ctx, options.challenge, { purpose: 'register', binding: sessionId, userId: user.id });
  return options;
}

/**
 * Verifies the browser's answer to `registrationOptions` and stores the passkey. The first second factor
 * of an account (no TOTP, no passkey before) ends every other session, as turning TOTP on does: no
 * session that skipped the second factor outlives the moment one exists.
 */
export async function finishRegistration(
  ctx: AppContext,
  input: { userId: string; sessionId: string; name: string; response: RegistrationResponseJSON },
  origin: RequestOrigin,
): Promise<PasskeyView> {
  const used = await consumeChallenge(ctx, input.response.response.clientDataJSON, 'register', input.sessionId);
  if (used.userId !== input.userId) throw PasskeyErrors.PASSKEY_CHALLENGE_INVALID();
  const rp = relyingParty(ctx);
  const { verifyRegistrationResponse } = await webauthn();
  const now = ctx.clock.now();
  const refuse = async (reason: string) => {
    await recordAudit(ctx.db, now, {
      action: 'passkey.registered',
      outcome: 'failure',
      actorUserId: input.userId,
      ip: origin.ip,
      userAgent: origin.userAgent,
      details: { reason },
    });
    return PasskeyErrors.PASSKEY_INVALID();
  };
  let verification: Awaited<ReturnType<Awaited<ReturnType<typeof webauthn>>['verifyRegistrationResponse']>>;
  try {
    verification = await verifyRegistrationResponse({
      response: input.response,
      expectedChallenge: used.challenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      requireUserVerification: true,
    });
  } catch {
    throw await refuse('invalid_response');
  }
  if (!verification.verified) throw await refuse('not_verified');
  const { credential, credentialDeviceType, credentialBackedUp } = verification.registrationInfo;

  const row = {
    id: newId('pk'),
    user_id: input.userId,
    credential_id: credential.id,
    public_key: Buffer.from(credential.publicKey).toString('base64url'),
    counter: credential.counter,
    transports: JSON.stringify(credential.transports ?? input.response.response.transports ?? []),
    name: input.name,
    device_type: credentialDeviceType,
    backed_up: credentialBackedUp ? 1 : 0,
    created_at: now,
    last_used_at: null,
  };
  await ctx.db
    .transaction()
    .execute(async (trx) => {
      const firstSecondFactor = !(await hasPasskeys(trx, input.userId)) && !(await isTotpEnabled(trx, input.userId));
      await trx.insertInto('passkeys').values(row).execute();
      if (firstSecondFactor) await deleteOtherSessions(trx, input.userId, input.sessionId);
      await recordAudit(trx, now, {
        action: 'passkey.registered',
        actorUserId: input.userId,
        targetType: 'passkey',
        targetId: row.id,
        ip: origin.ip,
        userAgent: origin.userAgent,
        details: { name: row.name, device_type: row.device_type, backed_up: row.backed_up === 1, first_second_factor: firstSecondFactor },
      });
    })
    .catch((error: unknown) => {
      if (isUniqueViolation(error)) throw PasskeyErrors.PASSKEY_ALREADY_REGISTERED();
      throw error;
    });
  await noticeSecurityChange(ctx, input.userId, 'passkey_added', origin);
  return view(row);
}

export async function renamePasskey(ctx: AppContext, userId: string, id: string, name: string, origin: RequestOrigin): Promise<PasskeyView> {
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const renamed = await trx
      .updateTable('passkeys')
      .set({ name })
      .where('id', '=', id)
      .where('user_id', '=', userId)
      .returning(VIEW_COLUMNS)
      .executeTakeFirst();
    if (!renamed) throw PasskeyErrors.PASSKEY_NOT_FOUND();
    await recordAudit(trx, now, {
      action: 'passkey.renamed',
      actorUserId: userId,
      targetType: 'passkey',
      targetId: id,
      ip: origin.ip,
      userAgent: origin.userAgent,
      details: { name },
    });
    return view(renamed);
  });
}

/** 404 unless the user has this passkey (checked before re-authentication spends a guess). */
export async function requireOwnPasskey(ctx: AppContext, userId: string, id: string): Promise<void> {
  const row = await ctx.db.selectFrom('passkeys').select('id').where('id', '=', id).where('user_id', '=', userId).executeTakeFirst();
  if (!row) throw PasskeyErrors.PASSKEY_NOT_FOUND();
}

/** Removes a passkey (the caller has re-authenticated); it stops working at once. */
export async function removePasskey(ctx: AppContext, userId: string, id: string, origin: RequestOrigin): Promise<void> {
  const now = ctx.clock.now();
  await ctx.db.transaction().execute(async (trx) => {
    const removed = await trx.deleteFrom('passkeys').where('id', '=', id).where('user_id', '=', userId).returning('name').executeTakeFirst();
    if (!removed) throw PasskeyErrors.PASSKEY_NOT_FOUND();
    await recordAudit(trx, now, {
      action: 'passkey.removed',
      actorUserId: userId,
      targetType: 'passkey',
      targetId: id,
      ip: origin.ip,
      userAgent: origin.userAgent,
      details: { name: removed.name },
    });
  });
  await noticeSecurityChange(ctx, userId, 'passkey_removed', origin);
}

// ---------------------------------------------------------------------------------------------
// Assertions: sign-in without a password, the second login step, re-authentication.

export interface AssertionRequest {
  purpose: Exclude<PasskeyChallengePurpose, 'register'>;
  binding: string;
  /** Whose passkeys may answer; null for the password-free sign-in (discoverable credentials). */
  userId: string | null;
}

/** Options for `navigator.credentials.get`; user verification is required to sign in without a password. */
export async function assertionOptions(ctx: AppContext, request: AssertionRequest): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const allowed = request.userId
    ? await ctx.db.selectFrom('passkeys').select(['credential_id', 'transports']).where('user_id', '=', request.userId).execute()
    : [];
  if (request.userId && allowed.length === 0) throw PasskeyErrors.PASSKEY_NOT_FOUND();
  const { generateAuthenticationOptions } = await webauthn();
  const options = await generateAuthenticationOptions({
    rpID: relyingParty(ctx).id,
    allowCredentials: allowed.map((row) => ({ id: row.credential_id, transports: parseTransports(row.transports) })),
    userVerification: request.purpose === 'sign_in' ? 'required' : 'preferred',
    timeout: PASSKEY_CHALLENGE_TTL_MS,
  });
  await storeChallenge(ctx, options.challenge, request);
  return options;
}

const AUDIT_ACTION: Record<AssertionRequest['purpose'], string> = {
  sign_in: 'auth.login',
  two_factor: 'auth.two_factor',
  reauthenticate: 'auth.reauthenticate',
};

export interface VerifiedAssertion {
  userId: string;
  passkeyId: string;
}

/**
 * Checks an assertion against the challenge it signed (used up first, so a replay is refused), the
 * passkey it names (a removed one is unknown), this server's origin and RP id, user verification (to
 * sign in without a password) and the signature counter: a counter that does not move forward, when
 * the authenticator keeps one, means two copies of the key exist, so the assertion is refused and a
 * clone warning lands in the audit log.
 */
export async function verifyAssertion(
  ctx: AppContext,
  request: AssertionRequest & { response: AuthenticationResponseJSON },
  origin: RequestOrigin,
): Promise<VerifiedAssertion> {
  const used = await consumeChallenge(ctx, request.response.response.clientDataJSON, request.purpose, request.binding);
  const now = ctx.clock.now();
  const action = AUDIT_ACTION[request.purpose];
  const passkey = await ctx.db
    .selectFrom('passkeys')
    .select(['id', 'user_id', 'credential_id', 'public_key', 'counter', 'transports'])
    .where('credential_id', '=', request.response.id)
    .executeTakeFirst();
  const refuse = async (reason: string, userId: string | null) => {
    await recordAudit(ctx.db, now, {
      action,
      outcome: 'failure',
      actorUserId: userId,
      ip: origin.ip,
      userAgent: origin.userAgent,
      details: { method: 'passkey', reason },
    });
    return PasskeyErrors.PASSKEY_INVALID();
  };
  if (!passkey) throw await refuse('unknown_passkey', used.userId);
  if ((used.userId !== null && passkey.user_id !== used.userId) || (request.userId !== null && passkey.user_id !== request.userId)) {
    throw await refuse('other_users_passkey', used.userId);
  }
  const userHandle = request.response.response.userHandle;
  if (userHandle && userHandle !== userHandleOf(passkey.user_id)) throw await refuse('user_handle_mismatch', passkey.user_id);

  const rp = relyingParty(ctx);
  const { verifyAuthenticationResponse } = await webauthn();
  let info: Awaited<ReturnType<Awaited<ReturnType<typeof webauthn>>['verifyAuthenticationResponse']>>['authenticationInfo'];
  try {
    const result = await verifyAuthenticationResponse({
      response: request.response,
      expectedChallenge: used.challenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      // The counter is judged below, where a regression can be told from a bad signature.
      credential: {
        id: passkey.credential_id,
        publicKey: new Uint8Array(Buffer.from(passkey.public_key, 'base64url')),
        counter: 0,
        transports: parseTransports(passkey.transports),
      },
      requireUserVerification: request.purpose === 'sign_in',
    });
    if (!result.verified) throw new Error('not verified');
    info = result.authenticationInfo;
  } catch {
    throw await refuse('invalid_assertion', passkey.user_id);
  }

  // Authenticators that keep no counter always send 0 (WebAuthn §6.1.1): nothing to compare then.
  const counted = info.newCounter > 0 || passkey.counter > 0;
  const moved = await ctx.db
    .updateTable('passkeys')
    .set({ counter: info.newCounter, last_used_at: now, backed_up: info.credentialBackedUp ? 1 : 0 })
    .where('id', '=', passkey.id)
    .$if(counted, (q) => q.where('counter', '<', info.newCounter))
    .returning('id')
    .executeTakeFirst();
  if (!moved) {
    await recordAudit(ctx.db, now, {
      action: 'passkey.clone_warning',
      outcome: 'failure',
      actorUserId: passkey.user_id,
      targetType: 'passkey',
      targetId: passkey.id,
      ip: origin.ip,
      userAgent: origin.userAgent,
      details: { stored_counter: passkey.counter, presented_counter: info.newCounter, purpose: request.purpose },
    });
    throw await refuse('counter_regression', passkey.user_id);
  }
  return { userId: passkey.user_id, passkeyId: passkey.id };
}
