import type { Principal } from '../auth/principal.js';
import type { Executor } from '../db/index.js';
import { HttpErrors } from '../http/errors.js';
import { projectNotCovered, reachesProject } from '../keys/scopes.js';
import type { OrgRole } from '../orgs/tables.js';
import { ProjectErrors } from './errors.js';
import type { ProjectRole, ProjectsTable } from './tables.js';

export const PROJECT_ROLE_RANK: Record<ProjectRole, number> = { viewer: 1, editor: 2, admin: 3 };

/** The role that counts on a project: org owners and admins are admin everywhere; others have their team role, if any. */
export function effectiveProjectRole(orgRole: OrgRole, teamRole: ProjectRole | null): ProjectRole | null {
  if (orgRole === 'owner' || orgRole === 'admin') return 'admin';
  return teamRole;
}

export interface ProjectAccess {
  project: ProjectsTable;
  org: { id: string; name: string; slug: string };
  orgRole: OrgRole;
  /** Null: an organization member who is not on the team (no access to the project's content). */
  role: ProjectRole | null;
}

/**
 * The project `ref` names (id, or slug among the caller's organizations) and the caller's role on it.
 * A project in an organization the caller is not in (or not the API key's) is a 404, like one that does
 * not exist. Membership and team role are read on every call, so a demotion counts from the next request.
 */
export async function accessProject(db: Executor, principal: Principal, ref: string): Promise<ProjectAccess> {
  let query = db
    .selectFrom('projects as p')
    .innerJoin('organizations as o', 'o.id', 'p.org_id')
    .innerJoin('memberships as m', (join) => join.onRef('m.org_id', '=', 'p.org_id').on('m.user_id', '=', principal.user.id))
    .leftJoin('project_members as pm', (join) => join.onRef('pm.project_id', '=', 'p.id').on('pm.user_id', '=', principal.user.id))
    .selectAll('p')
    .select(['o.name as org_name', 'o.slug as org_slug', 'm.role as org_role', 'pm.role as team_role'])
    .where((eb) => eb.or([eb('p.id', '=', ref), eb('p.slug', '=', ref)]))
    .limit(50);
  if (principal.org) query = query.where('p.org_id', '=', principal.org.id);
  const rows = await query.execute();
  if (rows.length === 0) throw HttpErrors.NOT_FOUND();

  const withRole = rows.map((row) => ({ row, role: effectiveProjectRole(row.org_role, row.team_role) }));
  let chosen = withRole[0]!;
  if (withRole.length > 1) {
    const visible = withRole.filter((r) => r.role !== null);
    if (visible.length > 1) {
      throw ProjectErrors.PROJECT_SLUG_AMBIGUOUS({
        candidates: visible.map((r) => ({ id: r.row.id, organization: { id: r.row.org_id, slug: r.row.org_slug } })),
      });
    }
    chosen = visible[0] ?? chosen;
  }
  const { org_name, org_slug, org_role, team_role: _team, ...project } = chosen.row;
  if (principal.apiKey && !reachesProject(principal.apiKey, project.id)) throw projectNotCovered(principal, project.id);
  return { project, org: { id: project.org_id, name: org_name, slug: org_slug }, orgRole: org_role, role: chosen.role };
}

/** 403 unless the caller's project role is at least `minimum` (no team role at all is a 403 too). */
export function requireProjectRole(access: ProjectAccess, minimum: ProjectRole): void {
  if (access.role === null || PROJECT_ROLE_RANK[access.role] < PROJECT_ROLE_RANK[minimum]) {
    throw HttpErrors.FORBIDDEN({ required_project_role: minimum, project_role: access.role });
  }
}
