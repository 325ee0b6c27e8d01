// Words a person understands for every error_code the API can answer (the server's x-error-codes; a
// test checks that none is missing). Where a code's meaning depends on the details, the sentence uses them.

function seconds(details: Record<string, unknown>): number | null {
  const value = details.retry_after_seconds;
  return typeof value === 'number' && Number.isFinite(value) ? Math.max(1, Math.ceil(value)) : null;
}

function retryIn(details: Record<string, unknown>): string {
  const wait = seconds(details);
  if (wait === null) return 'Wait a little and try again.';
  if (wait < 90) return `Try again in ${wait} second${wait === 1 ? '' : 's'}.`;
  const minutes = Math.ceil(wait / 60);
  if (minutes < 90) return `Try again in ${minutes} minutes.`;
  return `Try again in about ${Math.ceil(minutes / 60)} hours.`;
}

const WORDS: Record<string, string | ((details: Record<string, unknown>) => string)> = {
  BAD_REQUEST: 'The request could not be read. Reload the page and try again.',
  UNAUTHORIZED: 'Your session has ended. Sign in again to continue.',
  INVALID_API_KEY: 'That API key is not valid: it may be mistyped, revoked or expired.',
  FORBIDDEN: (d) =>
    d.required_role || d.required_project_role
      ? `Your role does not allow this: it needs ${String(d.required_role ?? d.required_project_role)} or higher. Ask an owner or admin.`
      : 'Your role does not allow this. Ask an owner or admin of the organization.',
  IP_NOT_ALLOWED: "Requests from your address are not allowed by this organization's or key's IP allow-list.",
  INSUFFICIENT_SCOPE: (d) =>
    typeof d.required_scope === 'string'
      ? `This API key is not allowed to do this: it needs the ${d.required_scope} scope${d.project_id ? ' on this project' : ''}.`
      : 'This API key is not allowed to do this.',
  METHOD_NOT_ALLOWED: 'The server does not take this kind of request here.',
  NOT_ACCEPTABLE: 'The server cannot answer in a form this client accepts.',
  NOT_FOUND: 'This was not found. It may have been deleted, or you may not have access to it.',
  PAYLOAD_TOO_LARGE: 'That is too large to save (the limit is 1 MiB).',
  UNSUPPORTED_MEDIA_TYPE: 'The request was sent in a form the server does not accept. Reload the page and try again.',
  VALIDATION_FAILED: 'Some fields need a fix: see the messages next to them.',
  RATE_LIMITED: (d) => `Too many attempts for now. ${retryIn(d)}`,
  INSUFFICIENT_CREDITS: 'There are not enough credits left for this.',
  IDEMPOTENCY_CONFLICT: 'This request was already made with different values.',
  OTP_EXPIRED: 'That code has expired. Ask for a new one.',
  OTP_INVALID: (d) => (typeof d.remaining_attempts === 'number' ? `That code is wrong. ${d.remaining_attempts} tries left.` : 'That code is wrong.'),
  OTP_MAX_ATTEMPTS: 'Too many wrong codes. Ask for a new code.',
  TWO_FACTOR_REQUIRED: 'Enter the code from your authenticator app as well.',
  TWO_FACTOR_INVALID: (d) =>
    'That code is wrong or was already used. Use the current code from your authenticator app, or an unused recovery code.' +
    (typeof d.remaining_attempts === 'number' ? ` ${d.remaining_attempts} tries left.` : ''),
  TWO_FACTOR_CHALLENGE_INVALID: 'This sign-in attempt has expired or used up its tries. Start again with your e-mail and password.',
  TWO_FACTOR_ALREADY_ENABLED: 'Two-factor authentication is already on.',
  TWO_FACTOR_NOT_ENABLED: 'Two-factor authentication is off.',
  TWO_FACTOR_SETUP_REQUIRED: 'Start the set-up again: press "Enable 2FA".',
  MAIL_DELIVERY_FAILED: 'The e-mail could not be sent just now. Try again in a minute.',
  INTERNAL_ERROR: 'Something went wrong on the server. Try again; if it keeps happening, tell your administrator.',
  SERVICE_UNAVAILABLE: 'The server is busy or restarting. Try again in a moment.',
  TOKEN_INVALID: 'This link is invalid, expired or already used: ask for a new one.',
  INVALID_CREDENTIALS: 'The e-mail address or the password is wrong.',
  EMAIL_NOT_VERIFIED: 'Confirm your e-mail address first: open the link we e-mailed you.',
  ACCOUNT_DISABLED: 'This account has been disabled by the administrator.',
  PASSWORD_INCORRECT: 'Your current password is wrong.',
  PASSWORD_TOO_WEAK: 'This password is too easy to guess (it is common, or was in a data breach). Choose another.',
  CSRF_REJECTED: 'This request came from another site and was refused. Open FuncSpec directly and try again.',
  AUTHORIZATION_PENDING: 'Waiting for approval.',
  SLOW_DOWN: 'Asked too often. Wait a moment.',
  ACCESS_DENIED: 'This login was denied.',
  EXPIRED_TOKEN: 'This login has expired. Start it again on your device.',
  USER_CODE_INVALID: 'No pending device login has this code: check it, or start the login on the device again.',
  SLUG_TAKEN: 'This slug is already in use. Choose another.',
  LAST_OWNER: 'An organization needs at least one owner: make someone else an owner first.',
  ALREADY_MEMBER: 'This person is already a member of the organization.',
  ALREADY_OWNER: 'This member is already an owner.',
  MEMBER_NOT_FOUND: 'No member of this organization has that address.',
  INVITATION_PENDING: 'An invitation to this address is being sent right now. Try again in a moment.',
  INVITATION_NOT_PENDING: 'This invitation was already accepted or cancelled.',
  INVITATION_INVALID: 'This invitation is invalid, expired, cancelled or already used. Ask for a new one.',
  INVITATION_EMAIL_MISMATCH: 'This invitation was sent to another e-mail address. Sign in with the invited address to accept it.',
  PROJECT_SLUG_AMBIGUOUS: 'More than one of your organizations has a project with this slug.',
  ALREADY_PROJECT_MEMBER: 'This person is already on the team.',
  PARENT_NOT_FOUND: 'The parent item is not an item of this project.',
  PARENT_CYCLE: 'An item cannot be placed under itself or one of its own children.',
  INVALID_TRANSITION: 'This change of state is not allowed from where the item is now.',
  VERSION_CONFLICT: 'Someone else changed this item while you were editing it. Reload to see their changes, then edit again.',
  KEY_NOT_FOUND: 'This API key was not found. It may have been revoked or deleted.',
  KEY_ALREADY_REVOKED: 'This API key is already revoked or rotated.',
  PASSKEY_NOT_FOUND: 'This passkey was not found. It may have been removed already.',
  PASSKEY_CHALLENGE_INVALID: 'This passkey request has expired or was already used. Try again.',
  PASSKEY_INVALID: 'That passkey could not be verified. It may have been removed from your account: sign in another way, then add it again.',
  PASSKEY_ALREADY_REGISTERED: 'This passkey is already registered to an account.',
  PASSKEY_CANCELLED: 'The passkey request was cancelled or timed out. Try again when you are ready.',
  PASSKEY_UNSUPPORTED: 'This browser cannot use passkeys here. Sign in another way.',
  NETWORK_ERROR: 'The server could not be reached. Check your connection and try again.',
};

/** The sentence for an error_code; an unknown code falls back to the server's own message. */
export function describeProblem(code: string, details: Record<string, unknown>, serverMessage?: string): string {
  const words = WORDS[code];
  if (typeof words === 'function') return words(details);
  return words ?? serverMessage ?? 'Something went wrong. Try again.';
}

export const KNOWN_ERROR_CODES = Object.keys(WORDS);
