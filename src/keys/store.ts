import type { Executor } from '../db/index.js';
import { announce } from './epoch.js';
import { newId } from '../lib/random.js';
import type { Secrets } from '../lib/secrets.js';
import { generateKey, hashKey, lastFour, type KeyEnv } from './format.js';
import { ALL_SCOPES, normalizeScopes, type Grant } from './scopes.js';
import type { ApiKeyKind, ApiKeysTable } from './tables.js';

export interface NewKey {
  orgId: string;
  userId: string;
  name: string;
  kind: ApiKeyKind;
  createdBy: string;
  expiresAt?: number | null;
  allowedIps?: string[] | null;
  /** Default `*`: everything the owner may do. */
  scopes?: readonly Grant[];
  /** Default null: every project of the organization. */
  projectIds?: readonly string[] | null;
}

/**
 * Mints a key and stores its hash; returns the stored row and the full key (shown to the caller once).
 * The transaction announces the new key to every process's key filter (see epoch.ts).
 */
export async function insertKey(
  db: Executor,
  env: KeyEnv,
  now: number,
  input: NewKey,
  secrets?: Secrets,
): Promise<{ row: ApiKeysTable; key: string }> {
  const key = generateKey(env);
  const row: ApiKeysTable = {
    id: newId('key'),
    org_id: input.orgId,
    user_id: input.userId,
    name: input.name,
    kind: input.kind,
    key_hash: hashKey(key),
    last_four: lastFour(key),
    // Only agent keys are kept sealed: agent verify gives the same key back on recovery.
    sealed_key: input.kind === 'agent' && secrets ? secrets.seal(key) : null,
    allowed_ips: input.allowedIps ? JSON.stringify(input.allowedIps) : null,
    scopes: JSON.stringify(normalizeScopes(input.scopes ?? [ALL_SCOPES])),
    project_ids: input.projectIds ? JSON.stringify(input.projectIds) : null,
    created_by: input.createdBy,
    created_at: now,
    expires_at: input.expiresAt ?? null,
    revoked_at: null,
    last_used_at: null,
    last_used_ip: null,
  };
  await db.insertInto('api_keys').values(row).execute();
  await announce(db, 'key_set');
  return { row, key };
}

/** True while a key can authenticate: not revoked and not past its expiry. */
export function isKeyLive(key: Pick<ApiKeysTable, 'revoked_at' | 'expires_at'>, now: number): boolean {
  return (key.revoked_at === null || key.revoked_at > now) && (key.expires_at === null || key.expires_at > now);
}
