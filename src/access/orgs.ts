import type { Principal } from '../auth/principal.js';
import type { Executor } from '../db/index.js';
import { HttpErrors } from '../http/errors.js';
import { z } from 'zod';
import { ORG_ROLES, type OrganizationsTable, type OrgRole } from '../orgs/tables.js';

/*
 * Who may act on which organization: reads of organizations and memberships, and the organization's
 * lock. The features that act on an organization (keys, projects, credits, the audit log, orgs itself)
 * call it; it writes nothing (the lock is a no-op update).
 */

/** member 1, admin 2, owner 3: from the order of ORG_ROLES. */
export const ROLE_RANK = Object.fromEntries(ORG_ROLES.map((role, i) => [role, ORG_ROLES.length - i])) as Record<OrgRole, number>;

export const OrgRoleSchema = z.enum(ORG_ROLES);

export interface OrgAccess {
  org: OrganizationsTable;
  role: OrgRole;
}

/**
 * The organization `ref` names (id or slug) and the caller's role in it. An organization the caller
 * is not in answers 404, exactly like one that does not exist; an API key only reaches its own.
 */
export async function accessOrg(db: Executor, principal: Principal, ref: string): Promise<OrgAccess> {
  // One indexed read: the organization joined with the caller's membership (none: not theirs).
  const row = await db
    .selectFrom('organizations as o')
    .innerJoin('memberships as m', (join) => join.onRef('m.org_id', '=', 'o.id').on('m.user_id', '=', principal.user.id))
    .selectAll('o')
    .select('m.role as member_role')
    .where((eb) => eb.or([eb('o.id', '=', ref), eb('o.slug', '=', ref)]))
    .executeTakeFirst();
  if (!row || (principal.org && principal.org.id !== row.id)) throw HttpErrors.NOT_FOUND();
  const { member_role: role, ...org } = row;
  return { org, role };
}

/** 403 unless `role` is at least `minimum`. */
export function requireRole(role: OrgRole, minimum: OrgRole): void {
  if (ROLE_RANK[role] < ROLE_RANK[minimum]) throw HttpErrors.FORBIDDEN({ required_role: minimum });
}

/** The organization a request acts on when none is named: the key's, else the caller's oldest membership. */
export async function defaultOrg(db: Executor, principal: Principal): Promise<OrgAccess | null> {
  if (principal.org && principal.role) {
    const org = await findOrganization(db, principal.org.id);
    return org ? { org, role: principal.role } : null;
  }
  const first = await db
    .selectFrom('memberships')
    .select(['org_id', 'role'])
    .where('user_id', '=', principal.user.id)
    .orderBy('created_at')
    .orderBy('org_id')
    .limit(1)
    .executeTakeFirst();
  if (!first) return null;
  const org = await findOrganization(db, first.org_id);
  return org ? { org, role: first.role } : null;
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
 * The in-transaction precondition of every change made for or by a member: takes the organization's lock
 * (the one every membership change takes), then reads the user's role as it is now. 404 when they are
 * no longer a member or the organization is gone, 403 below `minimum`. A caller demoted a moment ago
 * cannot slip a change through, and anything made for a member in the same transaction (a key) cannot
 * slip past a concurrent removal.
 */
export async function lockMembership(trx: Executor, orgId: string, userId: string, minimum: OrgRole = 'member'): Promise<OrgRole> {
  const role = (await lockOrganization(trx, orgId)) ? await roleIn(trx, orgId, userId) : null;
  if (!role) throw HttpErrors.NOT_FOUND();
  requireRole(role, minimum);
  return role;
}

/** The user's role in the organization, or null when they are not a member. */
export async function roleIn(db: Executor, orgId: string, userId: string): Promise<OrgRole | null> {
  const row = await db.selectFrom('memberships').select('role').where('org_id', '=', orgId).where('user_id', '=', userId).executeTakeFirst();
  return row?.role ?? null;
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
