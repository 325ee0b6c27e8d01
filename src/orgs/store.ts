import type { Executor } from '../db/index.js';
import { openBalance } from '../credits/service.js';
import { newId } from '../lib/random.js';
import type { OrganizationsTable } from './tables.js';
import { countRows } from '../db/paging.js';

/** Creates an organization with its owner, in the caller's transaction. */
export async function insertOrganization(trx: Executor, now: number, input: { name: string; slug: string; ownerId: string }): Promise<OrganizationsTable> {
  const org: OrganizationsTable = {
    id: newId('org'),
    name: input.name,
    slug: input.slug,
    plan: 'free',
    rate_limit: null,
    allowed_ips: null,
    key_expiry_mails: 1,
    unused_keys_digest: 1,
    created_at: now,
    updated_at: now,
  };
  await trx.insertInto('organizations').values(org).execute();
  await trx.insertInto('memberships').values({ org_id: org.id, user_id: input.ownerId, role: 'owner', created_at: now }).execute();
  await openBalance(trx, org.id);
  return org;
}

export async function countOwners(db: Executor, orgId: string): Promise<number> {
  return countRows(db.selectFrom('memberships').where('org_id', '=', orgId).where('role', '=', 'owner'));
}
