import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import { principalOf } from '../http/request.js';
import { HttpErrors } from '../http/errors.js';
import { envelope, listEnvelope, PaginationQuery, problems, singleLine, Timestamp } from '../http/schemas.js';
import { OrgRoleSchema } from '../access/orgs.js';
import { originOf, type Api } from '../http/types.js';
import { EmailSchema } from '../lib/email.js';
import { isoTime } from '../lib/time.js';
import { approveDevice, denyDevice, inspectDevice, pollDeviceToken, startDeviceAuthorization } from './device.js';
import { clearSessionCookie, clearSignUpCookie, loginOrigin, rejectCrossSite, rememberDevice, sessionCookie, setSessionCookie, signUpBrowser, signUpCookie } from './http.js';
import { NewPasswordSchema, PasswordSchema } from './passwords.js';
import {
  changePassword,
  endSession,
  forgotPassword,
  login,
  loginTwoFactor,
  resendVerification,
  resetPassword,
  signUp,
  updateProfile,
  userView,
  verifyEmail,
  VERIFY_EMAIL_TTL_MS,
  type LoginOutcome,
  type SecondStep,
  type SignedInOutcome,
  type UserView,
} from './service.js';
import { sessionEndsAt } from './sessions.js';
import { disableTwoFactor, enableTwoFactor, regenerateRecoveryCodes, setupTwoFactor } from './two-factor.js';
import { countRows, offsetOf } from '../db/paging.js';
import { AuthenticationResponse } from '../passkeys/schemas.js';
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';

const UserSchema = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string().nullable(),
  email_verified_at: Timestamp.nullable(),
  two_factor_enabled: z.boolean(),
  created_at: Timestamp,
});

const SessionSchema = z.object({ id: z.string(), expires_at: Timestamp });
export const SignedIn = envelope(z.object({ user: UserSchema, session: SessionSchema }));
const Challenge = envelope(
  z.object({
    two_factor_required: z.literal(true),
    challenge_token: z.string(),
    methods: z.array(z.enum(['totp', 'passkey'])).meta({ description: 'What can answer the second step: `totp` (a code or a recovery code), `passkey`' }),
  }),
);
const Accepted = envelope(z.object({ message: z.string() }));

const Token = z.string().min(1).max(512);
const Code = z.string().trim().min(1).max(64).meta({ description: 'A 6-digit TOTP code, or (where allowed) an unused recovery code', example: '123456' });
const Name = singleLine(100);
const RecoveryCodes = envelope(z.object({ recovery_codes: z.array(z.string()) }));

function showUser(user: UserView) {
  return { ...user, email_verified_at: isoTime(user.email_verified_at), created_at: isoTime(user.created_at) };
}

/** The answer to a completed login (any way in): the session cookie, the known-device cookie, the user and session. */
export function answerSignedIn(ctx: AppContext, outcome: SignedInOutcome, reply: FastifyReply) {
  setSessionCookie(ctx, reply, outcome.session.token);
  rememberDevice(ctx, reply, outcome.user.id);
  return { data: { user: showUser(outcome.user), session: { id: outcome.session.id, expires_at: isoTime(outcome.session.endsAt) } } };
}

/** Web accounts (§4): sign-up, verification, login with optional TOTP, sessions, passwords, device authorization. */
export async function accountRoutes(app: Api, ctx: AppContext): Promise<void> {
  const tags = ['Accounts'];

  app.post('/auth/sign-up', {
    schema: {
      tags,
      summary: 'Create an account (202 whether or not the e-mail is known)',
      description:
        'Also sets the `funcspec_signup` cookie (HttpOnly, 24 h): the verification link activates the password chosen here only in ' +
        'this browser. Opened elsewhere, the link verifies the address and asks the person to choose a password.',
      body: z.object({ email: EmailSchema, password: NewPasswordSchema, name: Name.optional() }),
      response: { 202: Accepted, ...problems(415, 422, 429) },
    },
    handler: async (request, reply) => {
      const browser = signUpBrowser(ctx, request, reply, VERIFY_EMAIL_TTL_MS);
      await signUp(ctx, { email: request.body.email, password: request.body.password, name: request.body.name ?? null }, browser, originOf(request));
      return reply.code(202).send({ data: { message: 'Check your inbox: we sent a link to confirm the address.' } });
    },
  });

  app.post('/auth/verify-email', {
    schema: {
      tags,
      summary: 'Use a verification link (once, within 24 hours)',
      description:
        '`password_set` is true when the link was used in the browser that signed up: the password chosen at sign-up is now active. ' +
        'Otherwise the address is verified but no password is active, and `password_token` (valid 1 hour, once) sets one with ' +
        'POST /auth/password/reset: a link proves who reads the mailbox, not who chose the password.',
      body: z.object({ token: Token }),
      response: {
        200: envelope(z.object({ user: UserSchema, password_set: z.boolean(), password_token: z.string().optional() })),
        ...problems(400, 422),
      },
    },
    handler: async (request, reply) => {
      const verified = await verifyEmail(ctx, request.body.token, signUpCookie(ctx, request), originOf(request));
      if (verified.passwordSet) clearSignUpCookie(ctx, reply);
      return {
        data: { user: showUser(verified.user), password_set: verified.passwordSet, ...(verified.passwordToken ? { password_token: verified.passwordToken } : {}) },
      };
    },
  });

  app.post('/auth/resend-verification', {
    schema: {
      tags,
      summary: 'Mail a new verification link (202 always)',
      body: z.object({ email: EmailSchema }),
      response: { 202: Accepted, ...problems(422, 429) },
    },
    handler: async (request, reply) => {
      await resendVerification(ctx, request.body.email, signUpCookie(ctx, request), originOf(request));
      return reply.code(202).send({ data: { message: 'If this address has an account waiting for confirmation, a new link is on its way.' } });
    },
  });

  const signedIn = (outcome: LoginOutcome, reply: FastifyReply) => {
    if (outcome.kind === 'challenge') return { data: { two_factor_required: true as const, challenge_token: outcome.challengeToken, methods: outcome.methods } };
    return answerSignedIn(ctx, outcome, reply);
  };

  app.post('/auth/login', {
    schema: {
      tags,
      summary: 'Log in with e-mail and password',
      description:
        'With a second factor (TOTP or a passkey), the answer is a challenge (no cookie) naming the `methods` that can answer it: ' +
        'finish at /auth/login/two-factor (with a passkey: options from /auth/passkeys/two-factor/options first).',
      body: z.object({ email: EmailSchema, password: PasswordSchema }),
      response: { 200: z.union([SignedIn, Challenge]), ...problems(401, 403, 422, 429) },
    },
    handler: async (request, reply) => {
      rejectCrossSite(ctx, request); // no login CSRF
      const outcome = await login(ctx, { ...request.body, replacing: sessionCookie(ctx, request) }, loginOrigin(ctx, request));
      return signedIn(outcome, reply);
    },
  });

  app.post('/auth/login/two-factor', {
    schema: {
      tags,
      summary: 'Second login step: a TOTP code, an unused recovery code, or a passkey',
      description:
        'Send `code` (a TOTP code or an unused recovery code) or `passkey` (the assertion for the options of ' +
        '/auth/passkeys/two-factor/options with this `challenge_token`), not both.',
      body: z
        .object({ challenge_token: Token, code: Code.optional(), passkey: AuthenticationResponse.optional() })
        .refine((body) => (body.code === undefined) !== (body.passkey === undefined), { message: 'send either code or passkey', path: ['code'] }),
      response: { 200: SignedIn, ...problems(401, 403, 422, 429) },
    },
    handler: async (request, reply) => {
      rejectCrossSite(ctx, request);
      const { challenge_token, code, passkey } = request.body;
      const step: SecondStep = passkey ? { passkey: passkey as AuthenticationResponseJSON } : { code: code ?? '' };
      const outcome = await loginTwoFactor(ctx, { ...step, challengeToken: challenge_token, replacing: sessionCookie(ctx, request) }, originOf(request));
      return signedIn(outcome, reply) as z.infer<typeof SignedIn>;
    },
  });

  app.post('/auth/logout', {
    config: { auth: 'session' },
    schema: { tags, summary: 'End this session (server-side)', response: { 204: z.null(), ...problems(401, 403) } },
    handler: async (request, reply) => {
      const principal = principalOf(request);
      await endSession(ctx, principal.user.id, principal.session!.id, originOf(request), 'auth.logout');
      clearSessionCookie(ctx, reply);
      return reply.code(204).send(null);
    },
  });

  app.get('/auth/session', {
    config: { auth: 'session' },
    schema: {
      tags,
      summary: 'The signed-in user, this session, and the organizations they belong to',
      response: {
        200: envelope(
          z.object({
            user: UserSchema,
            session: SessionSchema,
            memberships: z.array(z.object({ organization: z.object({ id: z.string(), name: z.string(), slug: z.string() }), role: OrgRoleSchema })),
          }),
        ),
        ...problems(401),
      },
    },
    handler: async (request) => {
      const principal = principalOf(request);
      const memberships = await ctx.db
        .selectFrom('memberships as m')
        .innerJoin('organizations as o', 'o.id', 'm.org_id')
        .select(['o.id', 'o.name', 'o.slug', 'm.role'])
        .where('m.user_id', '=', principal.user.id)
        .orderBy('m.created_at')
        .orderBy('o.id')
        .execute();
      return {
        data: {
          user: showUser(await userView(ctx.db, principal.user.id)),
          session: { id: principal.session!.id, expires_at: isoTime(principal.session!.expires_at) },
          memberships: memberships.map((m) => ({ organization: { id: m.id, name: m.name, slug: m.slug }, role: m.role })),
        },
      };
    },
  });

  app.patch('/auth/profile', {
    config: { auth: 'session' },
    schema: {
      tags,
      summary: 'Change my display name (null removes it)',
      body: z.object({ name: Name.nullable() }).strict(),
      response: { 200: envelope(z.object({ user: UserSchema })), ...problems(401, 403, 422) },
    },
    handler: async (request) => ({ data: { user: showUser(await updateProfile(ctx, principalOf(request).user.id, request.body)) } }),
  });

  app.get('/auth/sessions', {
    config: { auth: 'session' },
    schema: {
      tags,
      summary: 'My sessions, newest first',
      querystring: PaginationQuery,
      response: {
        200: listEnvelope(
          z.object({
            id: z.string(),
            created_at: Timestamp,
            last_seen_at: Timestamp,
            expires_at: Timestamp,
            ip: z.string().nullable(),
            user_agent: z.string().nullable(),
            current: z.boolean(),
          }),
        ),
        ...problems(401, 422),
      },
    },
    handler: async (request) => {
      const principal = principalOf(request);
      const { page, per } = request.query;
      const now = ctx.clock.now();
      const live = ctx.db
        .selectFrom('sessions')
        .where('user_id', '=', principal.user.id)
        .where('expires_at', '>', now)
        .where('last_seen_at', '>', now - ctx.config.sessionIdleTimeoutMs);
      const [rows, total] = await Promise.all([
        live.select(['id', 'created_at', 'last_seen_at', 'expires_at', 'ip', 'user_agent']).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(per).offset(offsetOf({ page, per })).execute(),
        countRows(live),
      ]);
      return {
        data: rows.map((row) => ({
          id: row.id,
          created_at: isoTime(row.created_at),
          last_seen_at: isoTime(row.last_seen_at),
          expires_at: isoTime(sessionEndsAt(ctx, row)),
          ip: row.ip,
          user_agent: row.user_agent,
          current: row.id === principal.session!.id,
        })),
        meta: { total: Number(total), page, per },
      };
    },
  });

  app.delete('/auth/sessions/:id', {
    config: { auth: 'session' },
    schema: { tags, summary: 'End one of my sessions', params: z.object({ id: z.string().min(1).max(64) }), response: { 204: z.null(), ...problems(401, 403, 404) } },
    handler: async (request, reply) => {
      const principal = principalOf(request);
      if (!(await endSession(ctx, principal.user.id, request.params.id, originOf(request), 'session.revoked'))) throw HttpErrors.NOT_FOUND();
      if (request.params.id === principal.session!.id) clearSessionCookie(ctx, reply);
      return reply.code(204).send(null);
    },
  });

  app.post('/auth/password/forgot', {
    schema: {
      tags,
      summary: 'Mail a password-reset link (202 always)',
      body: z.object({ email: EmailSchema }),
      response: { 202: Accepted, ...problems(422, 429) },
    },
    handler: async (request, reply) => {
      await forgotPassword(ctx, request.body.email, originOf(request));
      return reply.code(202).send({ data: { message: 'If this address has an account, a link to reset its password is on its way.' } });
    },
  });

  app.post('/auth/password/reset', {
    schema: {
      tags,
      summary: 'Set a new password with a mailed link (ends every session; signs nobody in)',
      body: z.object({ token: Token, password: NewPasswordSchema }),
      response: { 200: envelope(z.object({ user: UserSchema })), ...problems(400, 422) },
    },
    handler: async (request) => ({ data: { user: showUser(await resetPassword(ctx, request.body, originOf(request))) } }),
  });

  app.post('/auth/password/change', {
    config: { auth: 'session' },
    schema: {
      tags,
      summary: 'Change my password (needs the current one; my other sessions end)',
      body: z.object({ current_password: PasswordSchema, new_password: NewPasswordSchema }),
      response: { 200: envelope(z.object({ user: UserSchema })), ...problems(401, 403, 422, 429) },
    },
    handler: async (request) => {
      const principal = principalOf(request);
      await changePassword(
        ctx,
        { userId: principal.user.id, sessionId: principal.session!.id, currentPassword: request.body.current_password, newPassword: request.body.new_password },
        loginOrigin(ctx, request),
      );
      return { data: { user: showUser(await userView(ctx.db, principal.user.id)) } };
    },
  });

  app.post('/auth/two-factor/setup', {
    config: { auth: 'session' },
    schema: {
      tags,
      summary: 'Start TOTP enrolment (needs the password)',
      description: '`secret` is base32 (SHA1, 6 digits, 30 s); `qr_code` is the same `otpauth_uri` as a PNG data URL.',
      body: z.object({ password: PasswordSchema }),
      response: { 200: envelope(z.object({ secret: z.string(), otpauth_uri: z.string(), qr_code: z.string() })), ...problems(401, 403, 409, 422, 429) },
    },
    handler: async (request) => ({ data: await setupTwoFactor(ctx, principalOf(request).user.id, request.body.password, loginOrigin(ctx, request)) }),
  });

  app.post('/auth/two-factor/enable', {
    config: { auth: 'session' },
    schema: {
      tags,
      summary: 'Confirm enrolment with a first code; returns 10 one-time recovery codes (shown once)',
      body: z.object({ code: Code }),
      response: { 200: RecoveryCodes, ...problems(401, 403, 409, 422, 429) },
    },
    handler: async (request) => {
      const principal = principalOf(request);
      const codes = await enableTwoFactor(ctx, { userId: principal.user.id, sessionId: principal.session!.id, code: request.body.code }, originOf(request));
      return { data: { recovery_codes: codes } };
    },
  });

  app.post('/auth/two-factor/disable', {
    config: { auth: 'session' },
    schema: {
      tags,
      summary: 'Turn TOTP off (password and a current code or recovery code)',
      body: z.object({ password: PasswordSchema, code: Code }),
      response: { 200: envelope(z.object({ two_factor_enabled: z.literal(false) })), ...problems(401, 403, 409, 422, 429) },
    },
    handler: async (request) => {
      await disableTwoFactor(ctx, { userId: principalOf(request).user.id, ...request.body }, loginOrigin(ctx, request));
      return { data: { two_factor_enabled: false as const } };
    },
  });

  app.post('/auth/two-factor/recovery-codes', {
    config: { auth: 'session' },
    schema: {
      tags,
      summary: 'A new set of 10 recovery codes; the old set stops working',
      body: z.object({ password: PasswordSchema, code: Code }),
      response: { 200: RecoveryCodes, ...problems(401, 403, 409, 422, 429) },
    },
    handler: async (request) => ({ data: { recovery_codes: await regenerateRecoveryCodes(ctx, { userId: principalOf(request).user.id, ...request.body }, loginOrigin(ctx, request)) } }),
  });

  app.post('/auth/device/code', {
    schema: {
      tags,
      summary: 'CLI login through the browser: get a device code and a user code',
      body: z.object({ client_name: Name }),
      response: {
        200: envelope(
          z.object({
            device_code: z.string(),
            user_code: z.string().meta({ example: 'BCDF-GHJK' }),
            verification_uri: z.string(),
            verification_uri_complete: z.string(),
            expires_in: z.number().int(),
            interval: z.number().int(),
          }),
        ),
        ...problems(422, 429),
      },
    },
    handler: async (request) => ({ data: await startDeviceAuthorization(ctx, request.body.client_name, originOf(request)) }),
  });

  app.post('/auth/device/token', {
    schema: {
      tags,
      summary: 'Poll for the key (AUTHORIZATION_PENDING, SLOW_DOWN, ACCESS_DENIED, EXPIRED_TOKEN until approved)',
      body: z.object({ device_code: Token }),
      response: {
        200: envelope(z.object({ api_key: z.string(), organization: z.object({ id: z.string(), name: z.string(), slug: z.string() }) })),
        ...problems(400, 422),
      },
    },
    handler: async (request) => ({ data: await pollDeviceToken(ctx, request.body.device_code, originOf(request)) }),
  });

  app.post('/auth/device/inspect', {
    config: { auth: 'session' },
    schema: {
      tags,
      summary: 'What a pending device login is (client name, address, time), shown before approving; counts as a code guess',
      body: z.object({ user_code: z.string().min(1).max(32) }),
      response: {
        200: envelope(z.object({ client_name: z.string(), requested_ip: z.string().nullable(), requested_at: Timestamp, expires_at: Timestamp })),
        ...problems(400, 401, 403, 422, 429),
      },
    },
    handler: async (request) => {
      const pending = await inspectDevice(ctx, principalOf(request), request.body.user_code, originOf(request));
      return { data: { ...pending, requested_at: isoTime(pending.requested_at), expires_at: isoTime(pending.expires_at) } };
    },
  });

  const Decided = z.object({ client_name: z.string() });
  app.post('/auth/device/approve', {
    config: { auth: 'session' },
    schema: {
      tags,
      summary: 'Approve a device login for one of my organizations (signed-in user only)',
      body: z.object({ user_code: z.string().min(1).max(32), organization_id: z.string().min(1).max(64) }),
      response: { 200: envelope(Decided.extend({ organization: z.object({ id: z.string(), name: z.string(), slug: z.string() }) })), ...problems(400, 401, 403, 404, 422, 429) },
    },
    handler: async (request) => ({
      data: await approveDevice(ctx, principalOf(request), { userCode: request.body.user_code, organization: request.body.organization_id }, originOf(request)),
    }),
  });

  app.post('/auth/device/deny', {
    config: { auth: 'session' },
    schema: {
      tags,
      summary: 'Refuse a device login (signed-in user only)',
      body: z.object({ user_code: z.string().min(1).max(32) }),
      response: { 200: envelope(Decided), ...problems(400, 401, 403, 422, 429) },
    },
    handler: async (request) => ({ data: await denyDevice(ctx, principalOf(request), request.body.user_code, originOf(request)) }),
  });
}
