import type { Principal } from '../auth/principal.js';
import type { Db } from '../db/index.js';
import { hashKey, isWellFormedKey } from './format.js';
import { isKeyLive } from './store.js';

/**
 * The principal an API key stands for, or null for every kind of bad key (malformed, unknown,
 * expired, revoked, owner gone or disabled) — callers answer all of them the same way.
 * A key whose checksum fails never reaches the database.
 */
export async function principalForKey(db: Db, key: string, now: number): Promise<Principal | null> {
  if (!isWellFormedKey(key)) return null;
  const row = await db
    .selectFrom('api_keys as k')
    .innerJoin('users as u', 'u.id', 'k.user_id')
    .innerJoin('organizations as o', 'o.id', 'k.org_id')
    // The key acts as its member: no membership, no key.
    .innerJoin('memberships as m', (join) => join.onRef('m.org_id', '=', 'k.org_id').onRef('m.user_id', '=', 'k.user_id'))
    .select([
      'k.id as key_id', 'k.name as key_name', 'k.last_four', 'k.allowed_ips as key_allowed_ips', 'k.expires_at', 'k.revoked_at',
      'u.id as user_id', 'u.email', 'u.name as user_name', 'u.disabled_at',
      'o.id as org_id', 'o.name as org_name', 'o.slug', 'o.plan', 'o.rate_limit', 'o.allowed_ips as org_allowed_ips',
      'm.role',
    ])
    .where('k.key_hash', '=', hashKey(key))
    .executeTakeFirst();
  if (!row || row.disabled_at !== null || !isKeyLive(row, now)) return null;
  return {
    via: 'api_key',
    user: { id: row.user_id, email: row.email, name: row.user_name },
    org: { id: row.org_id, name: row.org_name, slug: row.slug, plan: row.plan, rate_limit: row.rate_limit, allowed_ips: row.org_allowed_ips },
    role: row.role,
    apiKey: { id: row.key_id, name: row.key_name, last_four: row.last_four, allowed_ips: row.key_allowed_ips },
    session: null,
  };
}
