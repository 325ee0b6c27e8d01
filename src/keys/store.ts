import type { ApiKeysTable } from './tables.js';

/** True while a key can authenticate: not revoked and not past its expiry. */
export function isKeyLive(key: Pick<ApiKeysTable, 'revoked_at' | 'expires_at'>, now: number): boolean {
  return (key.revoked_at === null || key.revoked_at > now) && (key.expires_at === null || key.expires_at > now);
}
