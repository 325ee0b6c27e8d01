import { sql } from 'kysely';
import { recordAudit } from '../audit/audit.js';
import type { Principal } from '../auth/principal.js';
import type { AppContext } from '../context.js';
import { isUniqueViolation, type Executor, type Trx } from '../db/index.js';
import { HttpErrors, SharedErrors } from '../http/errors.js';
import { newId } from '../lib/random.js';
import { slugify, uniqueSlug } from '../lib/slug.js';
import { byActor, type Actor } from '../audit/actor.js';
import { countRows, offsetOf, pageOf, type Page, type RosterRow } from '../db/paging.js';
import { lockMembership, lockOrganization, roleIn } from '../access/orgs.js';
import { effectiveProjectRole, PROJECT_ROLE_RANK, type ProjectAccess } from './access.js';
import { ProjectErrors } from './errors.js';
import type { ProjectRole, ProjectsTable } from './tables.js';

export interface ProjectStats {
  functional_count: number;
  technical_count: number;
  accepted_count: number;
}

export interface ProjectRow extends ProjectsTable {
  org_name: string;
  org_slug: string;
}

/** Item counts per project, in one grouped query. */
export async function projectStats(db: Executor, projectIds: string[]): Promise<Map<string, ProjectStats>> {
  const stats = new Map<string, ProjectStats>();
  if (projectIds.length === 0) return stats;
  const rows = await db
    .selectFrom('spec_items')
    .select([
      'project_id',
      sql<number | string>`sum(case when type_of = 'functional' then 1 else 0 end)`.as('functional_count'),
      sql<number | string>`sum(case when type_of = 'technical' then 1 else 0 end)`.as('technical_count'),
      sql<number | string>`sum(case when state = 'accepted' then 1 else 0 end)`.as('accepted_count'),
    ])
    .where('project_id', 'in', projectIds)
    .groupBy('project_id')
    .execute();
  for (const row of rows) {
    stats.set(row.project_id, {
      functional_count: Number(row.functional_count),
      technical_count: Number(row.technical_count),
      accepted_count: Number(row.accepted_count),
    });
  }
  return stats;
}

export const EMPTY_STATS: ProjectStats = { functional_count: 0, technical_count: 0, accepted_count: 0 };

/**
 * Projects the caller can see: every project of the organizations they own or administer, and the ones
 * whose team they are on. An API key sees its own organization's only.
 */
export async function listVisibleProjects(
  ctx: AppContext,
  principal: Principal,
  filter: { orgId?: string },
  page: Page,
): Promise<{ rows: ProjectRow[]; total: number }> {
  const userId = principal.user.id;
  let base = ctx.db
    .selectFrom('projects as p')
    .innerJoin('organizations as o', 'o.id', 'p.org_id')
    .innerJoin('memberships as m', (join) => join.onRef('m.org_id', '=', 'p.org_id').on('m.user_id', '=', userId))
    .where((eb) =>
      eb.or([
        eb('m.role', 'in', ['owner', 'admin']),
        eb.exists(eb.selectFrom('project_members as pm').select('pm.project_id').whereRef('pm.project_id', '=', 'p.id').where('pm.user_id', '=', userId)),
      ]),
    );
  if (principal.org) base = base.where('p.org_id', '=', principal.org.id);
  // A key bound to some projects lists those only.
  const reach = principal.apiKey?.project_ids;
  if (reach) base = reach.length > 0 ? base.where('p.id', 'in', reach) : base.where(sql<boolean>`1 = 0`);
  if (filter.orgId) base = base.where('p.org_id', '=', filter.orgId);
  const [rows, total] = await Promise.all([
    base
      .selectAll('p')
      .select(['o.name as org_name', 'o.slug as org_slug'])
      .orderBy('p.created_at')
      .orderBy('p.id')
      .limit(page.per)
      .offset(offsetOf(page))
      .execute(),
    countRows(base),
  ]);
  return { rows, total };
}

async function slugFree(db: Executor, orgId: string, slug: string): Promise<boolean> {
  return !(await db.selectFrom('projects').select('id').where('org_id', '=', orgId).where('slug', '=', slug).executeTakeFirst());
}

/** Creates a project (org admin+: org owners and admins are admin on every project, so no team row is needed). */
export async function createProject(
  ctx: AppContext,
  actor: Actor,
  orgId: string,
  input: { name: string; slug?: string; description?: string | null },
): Promise<ProjectsTable> {
  const attempt = (slug: string) =>
    ctx.db.transaction().execute(async (trx) => {
      await lockMembership(trx, orgId, actor.userId, 'admin');
      const now = ctx.clock.now();
      const project: ProjectsTable = {
        id: newId('prj'),
        org_id: orgId,
        name: input.name,
        slug,
        description: input.description ?? null,
        functional_seq: 0,
        technical_seq: 0,
        created_at: now,
        updated_at: now,
      };
      await trx.insertInto('projects').values(project).execute();
      await recordAudit(trx, now, {
        action: 'project.created',
        orgId,
        targetType: 'project',
        targetId: project.id,
        ...byActor(actor),
        details: { name: project.name, slug: project.slug },
      });
      return project;
    });
  if (input.slug) {
    try {
      return await attempt(input.slug);
    } catch (error) {
      if (isUniqueViolation(error)) throw SharedErrors.SLUG_TAKEN({ slug: input.slug });
      throw error;
    }
  }
  const derived = slugify(input.name);
  const base = derived === 'org' && !/org/i.test(input.name) ? 'project' : derived;
  if (await slugFree(ctx.db, orgId, base)) {
    try {
      return await attempt(base);
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
    }
  }
  return attempt(uniqueSlug(base));
}

export async function updateProject(
  ctx: AppContext,
  actor: Actor,
  access: ProjectAccess,
  patch: { name?: string; slug?: string; description?: string | null },
): Promise<ProjectsTable> {
  const now = ctx.clock.now();
  const before = access.project;
  const changes: Partial<ProjectsTable> = {};
  if (patch.name !== undefined && patch.name !== before.name) changes.name = patch.name;
  if (patch.slug !== undefined && patch.slug !== before.slug) changes.slug = patch.slug;
  if (patch.description !== undefined && patch.description !== before.description) changes.description = patch.description;
  if (Object.keys(changes).length === 0) return before;
  try {
    return await ctx.db.transaction().execute(async (trx) => {
      const after = await trx
        .updateTable('projects')
        .set({ ...changes, updated_at: now })
        .where('id', '=', before.id)
        .returningAll()
        .executeTakeFirst();
      if (!after) throw HttpErrors.NOT_FOUND();
      await recordAudit(trx, now, {
        action: 'project.updated',
        orgId: before.org_id,
        targetType: 'project',
        targetId: before.id,
        ...byActor(actor),
        details: { fields: Object.keys(changes) },
      });
      return after;
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw SharedErrors.SLUG_TAKEN({ slug: patch.slug });
    throw error;
  }
}

export async function deleteProject(ctx: AppContext, actor: Actor, access: ProjectAccess): Promise<void> {
  const now = ctx.clock.now();
  await ctx.db.transaction().execute(async (trx) => {
    const deleted = await trx.deleteFrom('projects').where('id', '=', access.project.id).executeTakeFirst();
    if (Number(deleted.numDeletedRows) === 0) throw HttpErrors.NOT_FOUND();
    await recordAudit(trx, now, {
      action: 'project.deleted',
      orgId: access.project.org_id,
      targetType: 'project',
      targetId: access.project.id,
      ...byActor(actor),
      details: { name: access.project.name, slug: access.project.slug },
    });
  });
}

// ---------------------------------------------------------------------------------------------------
// Project teams

/** A member leaves the organization or is removed: they lose every project role in it. In the caller's transaction. */
export async function removeFromAllTeams(trx: Trx, orgId: string, userId: string): Promise<number> {
  const removed = await trx
    .deleteFrom('project_members')
    .where('user_id', '=', userId)
    .where('project_id', 'in', (eb) => eb.selectFrom('projects').select('id').where('org_id', '=', orgId))
    .executeTakeFirst();
  return Number(removed.numDeletedRows);
}

export type TeamRow = RosterRow<ProjectRole>;

function teamQuery(db: Executor, projectId: string) {
  return db
    .selectFrom('project_members as pm')
    .innerJoin('users as u', 'u.id', 'pm.user_id')
    .select(['u.id as user_id', 'u.email', 'u.name', 'pm.role', 'pm.created_at'])
    .where('pm.project_id', '=', projectId);
}

export async function listTeam(ctx: AppContext, projectId: string, page: Page): Promise<{ rows: TeamRow[]; total: number }> {
  return pageOf(teamQuery(ctx.db, projectId).orderBy('pm.created_at').orderBy('u.id'), page);
}

export async function findTeamMember(db: Executor, projectId: string, userId: string): Promise<TeamRow | undefined> {
  return teamQuery(db, projectId).where('pm.user_id', '=', userId).executeTakeFirst();
}

/**
 * Starts a team change: the organization's lock (so nobody leaves the organization meanwhile), then the
 * caller's project role as it is now. `minimum` null: any role on the project will do (leaving the team).
 */
async function lockTeam(trx: Trx, access: ProjectAccess, userId: string, minimum: ProjectRole | null): Promise<void> {
  const { project } = access;
  if (!(await lockOrganization(trx, project.org_id))) throw HttpErrors.NOT_FOUND();
  const exists = await trx.selectFrom('projects').select('id').where('id', '=', project.id).executeTakeFirst();
  const orgRole = await roleIn(trx, project.org_id, userId);
  if (!exists || !orgRole) throw HttpErrors.NOT_FOUND();
  const team = await trx.selectFrom('project_members').select('role').where('project_id', '=', project.id).where('user_id', '=', userId).executeTakeFirst();
  const role = effectiveProjectRole(orgRole, team?.role ?? null);
  if (role === null || (minimum !== null && PROJECT_ROLE_RANK[role] < PROJECT_ROLE_RANK[minimum])) {
    throw HttpErrors.FORBIDDEN({ required_project_role: minimum ?? 'viewer', project_role: role });
  }
}

/** Adds an organization member to the team (project admin). `target` is a user id or an e-mail address. */
export async function addTeamMember(
  ctx: AppContext,
  actor: Actor,
  access: ProjectAccess,
  target: { userId?: string; email?: string },
  role: ProjectRole,
): Promise<TeamRow> {
  const { project } = access;
  try {
    return await ctx.db.transaction().execute(async (trx) => {
      await lockTeam(trx, access, actor.userId, 'admin');
      const now = ctx.clock.now();
      let query = trx
        .selectFrom('memberships as m')
        .innerJoin('users as u', 'u.id', 'm.user_id')
        .select(['u.id', 'u.email', 'u.name'])
        .where('m.org_id', '=', project.org_id);
      query = target.userId !== undefined ? query.where('u.id', '=', target.userId) : query.where('u.email', '=', target.email!);
      const member = await query.executeTakeFirst();
      if (!member) throw SharedErrors.MEMBER_NOT_FOUND(target.userId !== undefined ? { user_id: target.userId } : { email: target.email });
      await trx.insertInto('project_members').values({ project_id: project.id, user_id: member.id, role, created_at: now }).execute();
      await recordAudit(trx, now, {
        action: 'project.member_added',
        orgId: project.org_id,
        targetType: 'user',
        targetId: member.id,
        ...byActor(actor),
        details: { project_id: project.id, email: member.email, role },
      });
      return { user_id: member.id, email: member.email, name: member.name, role, created_at: now };
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw ProjectErrors.ALREADY_PROJECT_MEMBER();
    throw error;
  }
}

const notOnTeam = () => HttpErrors.NOT_FOUND({}, { message: 'This person is not on the project team.' });

export async function changeTeamRole(ctx: AppContext, actor: Actor, access: ProjectAccess, userId: string, role: ProjectRole): Promise<TeamRow> {
  const { project } = access;
  return ctx.db.transaction().execute(async (trx) => {
    await lockTeam(trx, access, actor.userId, 'admin');
    const now = ctx.clock.now();
    const current = await findTeamMember(trx, project.id, userId);
    if (!current) throw notOnTeam();
    if (current.role === role) return current;
    await trx.updateTable('project_members').set({ role }).where('project_id', '=', project.id).where('user_id', '=', userId).execute();
    await recordAudit(trx, now, {
      action: 'project.member_role_changed',
      orgId: project.org_id,
      targetType: 'user',
      targetId: userId,
      ...byActor(actor),
      details: { project_id: project.id, email: current.email, from: current.role, to: role },
    });
    return { ...current, role };
  });
}

/** Takes someone off the team (project admin), or lets the caller leave it. */
export async function removeTeamMember(ctx: AppContext, actor: Actor, access: ProjectAccess, userId: string): Promise<void> {
  const { project } = access;
  const leaving = userId === actor.userId;
  await ctx.db.transaction().execute(async (trx) => {
    await lockTeam(trx, access, actor.userId, leaving ? null : 'admin');
    const now = ctx.clock.now();
    const current = await findTeamMember(trx, project.id, userId);
    if (!current) throw notOnTeam();
    await trx.deleteFrom('project_members').where('project_id', '=', project.id).where('user_id', '=', userId).execute();
    await recordAudit(trx, now, {
      action: leaving ? 'project.member_left' : 'project.member_removed',
      orgId: project.org_id,
      targetType: 'user',
      targetId: userId,
      ...byActor(actor),
      details: { project_id: project.id, email: current.email, role: current.role },
    });
  });
}
