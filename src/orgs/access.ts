import type { Principal } from '../auth/principal.js';
import type { Executor } from '../db/index.js';
import { HttpErrors } from '../http/errors.js';
import { findOrganization, ROLE_RANK } from './store.js';
import type { OrganizationsTable, OrgRole } from './tables.js';

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
