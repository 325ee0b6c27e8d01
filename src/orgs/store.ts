import type { Executor } from '../db/index.js';
import { newId } from '../lib/random.js';
import { ORG_ROLES, type OrganizationsTable, type OrgRole } from './tables.js';
import { countRows } from '../db/paging.js';

/** member 1, admin 2, owner 3: from the order of ORG_ROLES. */
export const ROLE_RANK = Object.fromEntries(ORG_ROLES.map((role, i) => [role, ORG_ROLES.length - i])) as Record<OrgRole, number>;

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
    key_expiry_mails: 1,
    unused_keys_digest: 1,
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

/**
 * Takes the organization's row lock for the rest of the transaction (a no-op UPDATE: a row lock on
 * PostgreSQL, the write lock on SQLite). Every change to memberships, invitations and project teams
 * takes it first, so rules that span rows ("at least one owner", "team members are org members")
 * are checked against a state nobody else is changing. False when the organization is gone.
 */
export async function lockOrganization(trx: Executor, orgId: string): Promise<boolean> {
  const row = await trx
    .updateTable('organizations')
    .set((eb) => ({ updated_at: eb.ref('updated_at') }))
    .where('id', '=', orgId)
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Takes the organization's lock (the one every membership change takes), then reads the user's role:
 * null when they are no longer a member or the organization is gone. Anything made for a member in the
 * same transaction (a key) then cannot slip past a concurrent removal.
 */
export async function lockMembership(trx: Executor, orgId: string, userId: string): Promise<OrgRole | null> {
  if (!(await lockOrganization(trx, orgId))) return null;
  return roleIn(trx, orgId, userId);
}

/** The user's role in the organization, or null when they are not a member. */
export async function roleIn(db: Executor, orgId: string, userId: string): Promise<OrgRole | null> {
  const row = await db.selectFrom('memberships').select('role').where('org_id', '=', orgId).where('user_id', '=', userId).executeTakeFirst();
  return row?.role ?? null;
}

export async function countOwners(db: Executor, orgId: string): Promise<number> {
  return countRows(db.selectFrom('memberships').where('org_id', '=', orgId).where('role', '=', 'owner'));
}

/** The owners and admins of each organization (those who manage its keys), with their current addresses; disabled users left out. */
export async function adminsOf(db: Executor, orgIds: string[]): Promise<Array<{ org_id: string; user_id: string; email: string }>> {
  if (orgIds.length === 0) return [];
  return db
    .selectFrom('memberships as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .select(['m.org_id', 'm.user_id', 'u.email'])
    .where('m.org_id', 'in', orgIds)
    .where('m.role', 'in', ['owner', 'admin'])
    .where('u.disabled_at', 'is', null)
    .orderBy('m.created_at')
    .orderBy('m.user_id')
    .execute();
}
