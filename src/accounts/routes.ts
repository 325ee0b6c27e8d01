import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import { envelope, problems } from '../http/schemas.js';
import { originOf, type Api } from '../http/types.js';
import { EmailSchema } from '../lib/email.js';
import { clearSignUpCookie, loginOrigin, rejectCrossSite, sessionCookie, signUpBrowser, signUpCookie } from './http.js';
import { NewPasswordSchema, PasswordSchema } from './password-hashing.js';
import { VERIFY_EMAIL_TTL_MS } from './email-tokens.js';
import { login, loginTwoFactor, type LoginOutcome, type SecondStep } from './login.js';
import { resendVerification, signUp, verifyEmail } from './sign-up.js';
import { AuthenticationResponse } from '../passkeys/schemas.js';
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import { UserSchema, SignedIn, Challenge, Accepted, Token, Code, Name, showUser, answerSignedIn } from './schemas.js';

/** Web accounts (§4): sign-up, e-mail verification and login with an optional second factor. */
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
        data: {
          user: showUser(verified.user),
          password_set: verified.passwordSet,
          ...(verified.passwordToken ? { password_token: verified.passwordToken } : {}),
        },
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
    if (outcome.kind === 'challenge')
      return { data: { two_factor_required: true as const, challenge_token: outcome.challengeToken, methods: outcome.methods } };
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
}
