import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { z } from 'zod';
import { clearPasskeyAttempt, loginOrigin, passkeyAttempt, rejectCrossSite, sessionCookie, startPasskeyAttempt } from '../accounts/http.js';
import { PasswordSchema } from '../accounts/password-hashing.js';
import { answerSignedIn, SignedIn } from '../accounts/schemas.js';
import { liveLoginChallenge, loginWithPasskey, reauthenticate, type Reauthentication } from '../accounts/login.js';
import { AccountErrors } from '../accounts/errors.js';
import type { AppContext } from '../context.js';
import { principalOf } from '../http/request.js';
import { envelope, listEnvelope, problems, singleLine, Timestamp } from '../http/schemas.js';
import { originOf, type Api } from '../http/types.js';
import { isoTime } from '../lib/time.js';
import { throttle } from '../ratelimit/throttles.js';
import { PASSKEY_CHALLENGE_TTL_MS } from './challenges.js';
import { PasskeyErrors } from './errors.js';
import { AuthenticationResponse, CreationOptions, RegistrationResponse, RequestOptions } from './schemas.js';
import {
  assertionOptions,
  finishRegistration,
  listPasskeys,
  registrationOptions,
  removePasskey,
  renamePasskey,
  requireOwnPasskey,
  type PasskeyView,
} from './service.js';

const PasskeySchema = z.object({
  id: z.string(),
  name: z.string(),
  device_type: z.enum(['singleDevice', 'multiDevice']).meta({ description: '`multiDevice`: a synced passkey (may live on several devices)' }),
  backed_up: z.boolean(),
  transports: z.array(z.string()),
  created_at: Timestamp,
  last_used_at: Timestamp.nullable(),
});

const Name = singleLine(64);
const Id = z.object({ id: z.string().min(1).max(64) });

/** Proof that the signed-in person is at the keyboard now, for adding and removing passkeys: exactly one of three. */
const Reauthenticate = z
  .object({ password: PasswordSchema.optional(), code: z.string().trim().min(1).max(64).optional(), passkey: AuthenticationResponse.optional() })
  .refine((body) => [body.password, body.code, body.passkey].filter((v) => v !== undefined).length === 1, {
    message: 'send one of password, code or passkey',
    path: ['password'],
  });

function proofOf(body: z.infer<typeof Reauthenticate>): Reauthentication {
  if (body.password !== undefined) return { password: body.password };
  if (body.code !== undefined) return { code: body.code };
  return { passkey: body.passkey as AuthenticationResponseJSON };
}

const REAUTHENTICATION =
  'Send exactly one of `password`, `code` (a current TOTP code) or `passkey` (the assertion for the options of ' + '/auth/passkeys/reauthentication/options).';

function showPasskey(passkey: PasskeyView) {
  return { ...passkey, created_at: isoTime(passkey.created_at), last_used_at: isoTime(passkey.last_used_at) };
}

/** Passkeys (WebAuthn): managed by the signed-in person; a sign-in without a password; a second factor. */
export async function passkeyRoutes(app: Api, ctx: AppContext): Promise<void> {
  const tags = ['Passkeys'];

  app.get('/auth/passkeys', {
    config: { auth: 'session' },
    schema: { tags, summary: 'My passkeys, newest first', response: { 200: listEnvelope(PasskeySchema), ...problems(401) } },
    handler: async (request) => {
      const passkeys = await listPasskeys(ctx, principalOf(request).user.id);
      return { data: passkeys.map(showPasskey), meta: { total: passkeys.length, page: 1, per: Math.max(passkeys.length, 1) } };
    },
  });

  app.post('/auth/passkeys/registration/options', {
    config: { auth: 'session' },
    schema: {
      tags,
      summary: 'Start adding a passkey (re-authenticate): options for navigator.credentials.create (valid 5 minutes, this session only)',
      description: `${REAUTHENTICATION} A new way to sign in is as sensitive as a new password: a session alone does not add one.`,
      body: Reauthenticate,
      response: { 200: envelope(CreationOptions), ...problems(400, 401, 403, 422, 429) },
    },
    handler: async (request) => {
      const principal = principalOf(request);
      await reauthenticate(ctx, { userId: principal.user.id, sessionId: principal.session!.id, proof: proofOf(request.body) }, loginOrigin(ctx, request));
      return { data: await registrationOptions(ctx, principal.user, principal.session!.id) };
    },
  });

  app.post('/auth/passkeys', {
    config: { auth: 'session' },
    schema: {
      tags,
      summary: "Finish adding a passkey: the browser's answer to the registration options, and a name for it",
      description:
        'The first second factor of an account (no TOTP, no passkey yet) signs out every other session: from now on a password ' +
        'login asks for a passkey (or a TOTP code). A security notice is mailed.',
      body: z.object({ name: Name, response: RegistrationResponse }),
      response: { 201: envelope(PasskeySchema), ...problems(400, 401, 403, 409, 422) },
    },
    handler: async (request, reply) => {
      const principal = principalOf(request);
      const passkey = await finishRegistration(
        ctx,
        { userId: principal.user.id, sessionId: principal.session!.id, name: request.body.name, response: request.body.response as RegistrationResponseJSON },
        originOf(request),
      );
      return reply.code(201).send({ data: showPasskey(passkey) });
    },
  });

  app.patch('/auth/passkeys/:id', {
    config: { auth: 'session' },
    schema: {
      tags,
      summary: 'Rename one of my passkeys',
      params: Id,
      body: z.object({ name: Name }).strict(),
      response: { 200: envelope(PasskeySchema), ...problems(401, 403, 404, 422) },
    },
    handler: async (request) => ({
      data: showPasskey(await renamePasskey(ctx, principalOf(request).user.id, request.params.id, request.body.name, originOf(request))),
    }),
  });

  app.delete('/auth/passkeys/:id', {
    config: { auth: 'session' },
    schema: {
      tags,
      summary: 'Remove one of my passkeys (re-authenticate: password, a TOTP code, or a fresh passkey assertion)',
      description: `${REAUTHENTICATION} The passkey stops working at once; a security notice is mailed.`,
      params: Id,
      body: Reauthenticate,
      response: { 204: z.null(), ...problems(400, 401, 403, 404, 422, 429) },
    },
    handler: async (request, reply) => {
      const principal = principalOf(request);
      await requireOwnPasskey(ctx, principal.user.id, request.params.id);
      await reauthenticate(ctx, { userId: principal.user.id, sessionId: principal.session!.id, proof: proofOf(request.body) }, loginOrigin(ctx, request));
      await removePasskey(ctx, principal.user.id, request.params.id, originOf(request));
      return reply.code(204).send(null);
    },
  });

  app.post('/auth/passkeys/reauthentication/options', {
    config: { auth: 'session' },
    schema: {
      tags,
      summary: 'Options for a passkey assertion that re-authenticates this session (valid 5 minutes): to add or remove a passkey',
      response: { 200: envelope(RequestOptions), ...problems(401, 403, 404) },
    },
    handler: async (request) => {
      const principal = principalOf(request);
      return { data: await assertionOptions(ctx, { purpose: 'reauthenticate', binding: principal.session!.id, userId: principal.user.id }) };
    },
  });
}

/** Signing in with a passkey, as the first step or the second. */
export async function passkeySignInRoutes(app: Api, ctx: AppContext): Promise<void> {
  const tags = ['Passkeys'];

  app.post('/auth/passkeys/sign-in/options', {
    schema: {
      tags,
      summary: 'Start a sign-in with a passkey and no password',
      description:
        'Options for a discoverable credential with user verification required. Also sets the `funcspec_passkey` cookie ' +
        '(HttpOnly, 5 minutes): the challenge can only be answered from this browser.',
      response: { 200: envelope(RequestOptions), ...problems(403, 429) },
    },
    handler: async (request, reply) => {
      rejectCrossSite(ctx, request);
      // Each call stores a challenge: counted per client like a login.
      await throttle(ctx, 'passkey-options:ip', request.ip);
      const attempt = startPasskeyAttempt(ctx, reply, PASSKEY_CHALLENGE_TTL_MS);
      return { data: await assertionOptions(ctx, { purpose: 'sign_in', binding: attempt, userId: null }) };
    },
  });

  app.post('/auth/passkeys/sign-in', {
    schema: {
      tags,
      summary: 'Finish a sign-in with a passkey: a session, exactly as a password + second-factor login gives',
      body: z.object({ response: AuthenticationResponse }),
      response: { 200: SignedIn, ...problems(400, 401, 403, 422, 429) },
    },
    handler: async (request, reply) => {
      rejectCrossSite(ctx, request);
      const attempt = passkeyAttempt(ctx, request);
      if (!attempt) throw PasskeyErrors.PASSKEY_CHALLENGE_INVALID();
      clearPasskeyAttempt(ctx, reply);
      const outcome = await loginWithPasskey(
        ctx,
        { attempt, response: request.body.response as AuthenticationResponseJSON, replacing: sessionCookie(ctx, request) },
        originOf(request),
      );
      return answerSignedIn(ctx, outcome, reply);
    },
  });

  app.post('/auth/passkeys/two-factor/options', {
    schema: {
      tags,
      summary: 'Options for answering a login challenge with a passkey (the second step after the password)',
      body: z.object({ challenge_token: z.string().min(1).max(512) }),
      response: { 200: envelope(RequestOptions), ...problems(401, 403, 404, 422, 429) },
    },
    handler: async (request) => {
      rejectCrossSite(ctx, request);
      await throttle(ctx, 'passkey-options:ip', request.ip);
      const login = await liveLoginChallenge(ctx, request.body.challenge_token);
      if (!login) throw AccountErrors.TWO_FACTOR_CHALLENGE_INVALID();
      return { data: await assertionOptions(ctx, { purpose: 'two_factor', binding: login.id, userId: login.userId }) };
    },
  });
}
