import { z } from 'zod';
import type { AppContext } from '../context.js';
import { problems } from '../http/schemas.js';
import { originOf, type Api } from '../http/types.js';
import { EmailSchema } from '../lib/email.js';
import { startAgentSignUp, verifyAgent } from './service.js';

const OtpCode = z
  .union([
    z.string().regex(/^\d{6}$/, 'must be the 6-digit code from the e-mail'),
    // Agents often send the code as a JSON number; keep its leading zeros.
    z
      .number()
      .int()
      .min(0)
      .max(999_999)
      .transform((n) => String(n).padStart(6, '0')),
  ])
  .meta({ example: '123456' });

/** Agent auth (§5): a key in two calls. Flat bodies, exactly as documented. */
export async function agentRoutes(app: Api, ctx: AppContext): Promise<void> {
  app.post('/agent/sign-up', {
    schema: {
      tags: ['Agent auth'],
      summary: 'Mail a 6-digit code to an e-mail address (new account or key recovery)',
      body: z.object({ email: EmailSchema }),
      response: {
        200: z.object({ email: z.string(), message: z.string() }),
        ...problems(422, 429, 503),
      },
    },
    handler: async (request) => {
      await startAgentSignUp(ctx, request.body.email, originOf(request));
      return { email: request.body.email, message: 'Verification code sent to your email' };
    },
  });

  app.post('/agent/verify', {
    schema: {
      tags: ['Agent auth'],
      summary: 'Trade the code for an API key',
      description:
        'New e-mail: creates the account, a personal organization and a key. Known e-mail: returns the current agent key ' +
        '(a new one if it was revoked or expired). With two-factor authentication on, `totp_code` is required.',
      body: z.object({ email: EmailSchema, otp_code: OtpCode, totp_code: z.string().min(6).max(32).optional() }),
      response: {
        200: z.object({ email: z.string(), api_key: z.string(), is_new_user: z.boolean() }),
        ...problems(400, 401, 422, 429),
      },
    },
    handler: async (request) => {
      const { email, otp_code, totp_code } = request.body;
      return verifyAgent(ctx, { email, otpCode: otp_code, totpCode: totp_code }, originOf(request));
    },
  });
}
