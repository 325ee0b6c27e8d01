import { z } from 'zod';
import type { AppContext } from '../context.js';
import { principalOf, sessionPrincipalOf } from '../http/request.js';
import { envelope, problems } from '../http/schemas.js';
import { originOf, type Api } from '../http/types.js';
import { EmailSchema } from '../lib/email.js';
import { loginOrigin } from './http.js';
import { NewPasswordSchema, PasswordSchema } from './password-hashing.js';
import { changePassword, forgotPassword, resetPassword } from './passwords.js';
import { userView } from './users.js';
import { disableTwoFactor, enableTwoFactor, regenerateRecoveryCodes, setupTwoFactor } from './two-factor.js';
import { UserSchema, Accepted, Token, Code, RecoveryCodes, showUser } from './schemas.js';

/** Passwords (forgotten, reset, changed) and two-factor authentication. */
export async function securityRoutes(app: Api, ctx: AppContext): Promise<void> {
  const tags = ['Accounts'];

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
      const principal = sessionPrincipalOf(request);
      await changePassword(
        ctx,
        { userId: principal.user.id, sessionId: principal.session.id, currentPassword: request.body.current_password, newPassword: request.body.new_password },
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
      const principal = sessionPrincipalOf(request);
      const codes = await enableTwoFactor(ctx, { userId: principal.user.id, sessionId: principal.session.id, code: request.body.code }, originOf(request));
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
    handler: async (request) => ({
      data: { recovery_codes: await regenerateRecoveryCodes(ctx, { userId: principalOf(request).user.id, ...request.body }, loginOrigin(ctx, request)) },
    }),
  });
}
