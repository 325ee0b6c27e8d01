export interface PasskeysTable {
  /** Public id (`pk_…`), used to list, rename and remove; never the credential id. */
  id: string;
  user_id: string;
  /** The authenticator's credential id, base64url; unique across all users. */
  credential_id: string;
  /** The COSE public key, base64url. */
  public_key: string;
  /** The last signature counter seen; a response that does not move it forward (when it counts) is a clone warning. */
  counter: number;
  /** JSON array of transports the browser reported (`internal`, `hybrid`, `usb`, …), for allowCredentials. */
  transports: string;
  name: string;
  /** Whether the credential may be synced to other devices (backup eligible), and is (backed up). */
  device_type: 'singleDevice' | 'multiDevice';
  backed_up: number;
  created_at: number;
  last_used_at: number | null;
}

export type PasskeyChallengePurpose = 'register' | 'sign_in' | 'two_factor' | 'reauthenticate';

export interface PasskeyChallengesTable {
  id: string;
  /** HMAC of the challenge sent to the browser; it is looked up by the challenge the response signed. */
  challenge_hash: string;
  purpose: PasskeyChallengePurpose;
  /** Whose passkeys may answer it (null for a password-free sign-in: any user's). */
  user_id: string | null;
  /** HMAC of what asked for it (the session, the login challenge, or the sign-in attempt's cookie). */
  binding_hash: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

export interface PasskeyTables {
  passkeys: PasskeysTable;
  passkey_challenges: PasskeyChallengesTable;
}
