import { defineErrors } from '../http/errors.js';

export const AccountErrors = defineErrors({
  TOKEN_INVALID: { status: 400, message: 'This link is invalid, expired or already used: ask for a new one.' },
  INVALID_CREDENTIALS: { status: 401, message: 'The e-mail address or the password is wrong.' },
  EMAIL_NOT_VERIFIED: {
    status: 403,
    message: 'Confirm your e-mail address first: follow the link we mailed you, or ask for a new one with /auth/resend-verification.',
  },
  ACCOUNT_DISABLED: { status: 403, message: 'This account has been disabled by the operator.' },
  PASSWORD_INCORRECT: {
    status: 403,
    message: 'The password is wrong. If you never set one (agent sign-up), set one through a password reset first.',
  },
  PASSWORD_TOO_WEAK: { status: 422, message: 'This password is too common or easy to guess: choose another one.' },
  TWO_FACTOR_INVALID: { status: 401, message: 'The two-factor code is wrong or was already used.' },
  TWO_FACTOR_CHALLENGE_INVALID: {
    status: 401,
    message: 'This login challenge is invalid, expired, used up or already used: log in with your password again.',
  },
  TWO_FACTOR_ALREADY_ENABLED: { status: 409, message: 'Two-factor authentication is already on: disable it first to enrol a new authenticator.' },
  TWO_FACTOR_NOT_ENABLED: { status: 409, message: 'Two-factor authentication is not on for this account.' },
  TWO_FACTOR_SETUP_REQUIRED: { status: 409, message: 'Start with /auth/two-factor/setup: there is no pending authenticator to confirm.' },
  CSRF_REJECTED: { status: 403, message: 'Cross-site request refused: the Origin of this request is not this server.' },
  AUTHORIZATION_PENDING: { status: 400, message: 'The user has not approved this device yet: poll again after the interval.' },
  SLOW_DOWN: { status: 400, message: 'Polling too fast: wait details.interval seconds between polls.' },
  ACCESS_DENIED: { status: 400, message: 'The user denied this device login.' },
  EXPIRED_TOKEN: { status: 400, message: 'This device code is unknown, expired or already used: start the login again.' },
  USER_CODE_INVALID: { status: 400, message: 'No pending device login has this code: check it, or start the login on the device again.' },
});
