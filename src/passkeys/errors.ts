import { defineErrors } from '../http/errors.js';

export const PasskeyErrors = defineErrors({
  PASSKEY_NOT_FOUND: { status: 404, message: 'You have no passkey with this id.' },
  PASSKEY_CHALLENGE_INVALID: {
    status: 400,
    message: 'This passkey request is unknown, expired, already used, or was asked for by another sign-in or session: start again.',
  },
  PASSKEY_INVALID: {
    status: 401,
    message: 'The passkey could not be verified (unknown or removed passkey, another site, a bad signature, or no user verification).',
  },
  PASSKEY_ALREADY_REGISTERED: { status: 409, message: 'This passkey is already registered.' },
});
