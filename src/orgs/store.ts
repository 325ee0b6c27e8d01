import type { Executor } from '../db/index.js';
import { newId } from '../lib/random.js';
import type { OrganizationsTable, OrgRole } from './tables.js';

export const ROLE_RANK: Record<OrgRole, number> = { member: 1, admin: 2, owner: 3 };

/** Creates an organization with its owner and an empty credit balance, in the caller's transaction. */
export async function insertOrganization(
  trx: Executor,
  now: number,
  input: { name: string; slug: string; ownerId: string },
): Promise<OrganizationsTable> {
  const org: OrganizationsTable = {
    id: newId('org'),
    name: input.name,
    slug: input.slug,
    plan: 'free',
    rate_limit: null,
    allowed_ips: null,
    created_at: now,
    updated_at: now,
  };
  await trx.insertInto('organizations').values(org).execute();
  await trx.insertInto('memberships').values({ org_id: org.id, user_id: input.ownerId, role: 'owner', created_at: now }).execute();
  await trx.insertInto('credit_balances').values({ org_id: org.id, granted_micros: 0, used_micros: 0 }).execute();
  return org;
}

/** An organization by id or slug. */
export async function findOrganization(db: Executor, ref: string): Promise<OrganizationsTable | undefined> {
  return db
    .selectFrom('organizations')
    .selectAll()
    .where((eb) => eb.or([eb('id', '=', ref), eb('slug', '=', ref)]))
    .executeTakeFirst();
}
