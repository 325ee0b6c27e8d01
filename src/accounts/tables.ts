export interface UsersTable {
  id: string;
  /** Normalised (trimmed, lower-case); unique. */
  email: string;
  name: string | null;
  email_verified_at: number | null;
  password_hash: string | null;
  disabled_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface SessionsTable {
  /** Public id (`ses_…`), used to list and end sessions; never the cookie value. */
  id: string;
  user_id: string;
  /** HMAC of the cookie value; the value itself is never stored. */
  token_hash: string;
  created_at: number;
  /** Renewed by activity, at most once per small fraction of the idle timeout. */
  last_seen_at: number;
  /** Absolute end (created_at + FUNCSPEC_SESSION_MAX_AGE), whatever the activity. */
  expires_at: number;
  ip: string | null;
  user_agent: string | null;
}

export const EMAIL_TOKEN_PURPOSES = ['verify_email', 'reset_password'] as const;
export type EmailTokenPurpose = (typeof EMAIL_TOKEN_PURPOSES)[number];

export interface EmailTokensTable {
  id: string;
  user_id: string;
  purpose: EmailTokenPurpose;
  /** HMAC of the token mailed in the link. */
  token_hash: string;
  /** Verification links only: the password of the sign-up that sent this link, set when the link is used. */
  password_hash: string | null;
  /** Verification links only: HMAC of the sign-up cookie of the browser that chose `password_hash`. */
  browser_hash: string | null;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

export interface LoginChallengesTable {
  id: string;
  user_id: string;
  token_hash: string;
  /** Second-step guesses made on this challenge (atomically counted). */
  attempts: number;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

export interface UserTotpTable {
  user_id: string;
  /** The active seed, sealed with the server secret; null while only a setup is pending. */
  secret_sealed: string | null;
  /** A seed handed out by setup and not yet confirmed with a code. */
  pending_secret_sealed: string | null;
  enabled_at: number | null;
  /** The last 30-second step whose code was accepted: no code of that step or earlier is accepted again. */
  last_used_step: number | null;
  created_at: number;
  updated_at: number;
}

export interface RecoveryCodesTable {
  id: string;
  user_id: string;
  /** HMAC of the normalised code. */
  code_hash: string;
  created_at: number;
  used_at: number | null;
}

export const DEVICE_CODE_STATUSES = ['pending', 'approved', 'denied', 'consumed'] as const;
export type DeviceCodeStatus = (typeof DEVICE_CODE_STATUSES)[number];

export interface DeviceCodesTable {
  id: string;
  device_code_hash: string;
  user_code_hash: string;
  client_name: string;
  status: DeviceCodeStatus;
  /** Who approved or denied it, and (approved) the organization the key is minted in. */
  user_id: string | null;
  org_id: string | null;
  /** Minimum time between two polls; raised by SLOW_DOWN. */
  interval_ms: number;
  requested_ip: string | null;
  created_at: number;
  expires_at: number;
  last_polled_at: number | null;
  decided_at: number | null;
  consumed_at: number | null;
}

export interface AccountTables {
  users: UsersTable;
  sessions: SessionsTable;
  email_tokens: EmailTokensTable;
  login_challenges: LoginChallengesTable;
  user_totp: UserTotpTable;
  recovery_codes: RecoveryCodesTable;
  device_codes: DeviceCodesTable;
}
