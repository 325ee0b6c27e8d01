import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import { envelope, singleLine, Timestamp } from '../http/schemas.js';
import { isoTime } from '../lib/time.js';
import { rememberDevice, setSessionCookie } from './http.js';
import type { SignedInOutcome } from './login.js';
import type { UserView } from './users.js';

export const UserSchema = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string().nullable(),
  email_verified_at: Timestamp.nullable(),
  two_factor_enabled: z.boolean(),
  created_at: Timestamp,
});

export const SessionSchema = z.object({ id: z.string(), expires_at: Timestamp });
export const SignedIn = envelope(z.object({ user: UserSchema, session: SessionSchema }));
export const Challenge = envelope(
  z.object({
    two_factor_required: z.literal(true),
    challenge_token: z.string(),
    methods: z.array(z.enum(['totp', 'passkey'])).meta({ description: 'What can answer the second step: `totp` (a code or a recovery code), `passkey`' }),
  }),
);
export const Accepted = envelope(z.object({ message: z.string() }));

export const Token = z.string().min(1).max(512);
export const Code = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .meta({ description: 'A 6-digit TOTP code, or (where allowed) an unused recovery code', example: '123456' });
export const Name = singleLine(100);
export const RecoveryCodes = envelope(z.object({ recovery_codes: z.array(z.string()) }));

export function showUser(user: UserView) {
  return { ...user, email_verified_at: isoTime(user.email_verified_at), created_at: isoTime(user.created_at) };
}

/** The answer to a completed login (any way in): the session cookie, the known-device cookie, the user and session. */
export function answerSignedIn(ctx: AppContext, outcome: SignedInOutcome, reply: FastifyReply) {
  setSessionCookie(ctx, reply, outcome.session.token);
  rememberDevice(ctx, reply, outcome.user.id);
  return { data: { user: showUser(outcome.user), session: { id: outcome.session.id, expires_at: isoTime(outcome.session.endsAt) } } };
}

/** Web accounts (§4): sign-up, verification, login with optional TOTP, sessions, passwords, device authorization. */
