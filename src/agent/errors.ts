import { defineErrors } from '../http/errors.js';

export const AgentErrors = defineErrors({
  OTP_EXPIRED: {
    status: 400,
    message: 'There is no pending verification code for this e-mail, or it has expired or been used: call /agent/sign-up again.',
  },
  OTP_INVALID: { status: 400, message: 'The verification code is wrong; details.remaining_attempts says how many tries are left.' },
  OTP_MAX_ATTEMPTS: { status: 429, message: 'This verification code has no tries left: call /agent/sign-up for a new one.' },
  TWO_FACTOR_REQUIRED: {
    status: 401,
    message: 'Two-factor authentication is on for this account: send totp_code with the current code from your authenticator app.',
  },
});
