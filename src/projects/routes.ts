import { z } from 'zod';
import type { AppContext } from '../context.js';
import { principalOf } from '../http/request.js';
import { HttpErrors } from '../http/errors.js';
import { envelope, listEnvelope, PaginationQuery, problems } from '../http/schemas.js';
import { originOf, type Api } from '../http/types.js';
import { EmailSchema } from '../lib/email.js';
import { accessOrg, defaultOrg, requireRole } from '../access/orgs.js';
import { actorOf } from '../audit/actor.js';
import { OrgRef, UserIdParam } from '../http/schemas.js';
import { accessProject, requireProjectRole } from './access.js';
import { projectAccessOf } from './precondition.js';
import {
  ProjectDescriptionSchema,
  ProjectNameSchema,
  ProjectRef,
  ProjectRoleSchema,
  ProjectSchema,
  projectView,
  SlugField,
  TeamMemberSchema,
  teamView,
} from './schemas.js';
import {
  addTeamMember,
  changeTeamRole,
  createProject,
  deleteProject,
  listTeam,
  listVisibleProjects,
  projectStats,
  removeTeamMember,
  updateProject,
} from './service.js';

const ProjectParams = z.object({ id: ProjectRef });
/** The query of GET /projects (the MCP tool list_projects takes the same). */
export const ProjectListQuery = PaginationQuery.extend({ organization: OrgRef.optional() });
const TeamParams = z.object({ id: ProjectRef, user_id: UserIdParam });

/** Projects and project teams (§6). Org owners and admins are admin on every project; others need a team role. */
export async function projectRoutes(app: Api, ctx: AppContext): Promise<void> {
  app.get('/projects', {
    config: { auth: 'any', scope: 'projects:read' },
    schema: {
      tags: ['Projects'],
      summary: 'Projects visible to me',
      description: 'Every project of the organizations I own or administer, and those whose team I am on. `organization` narrows to one.',
      querystring: ProjectListQuery,
      response: { 200: listEnvelope(ProjectSchema), ...problems(401, 404, 422, 429) },
    },
    handler: async (request) => {
      const principal = principalOf(request);
      const { page, per, organization } = request.query;
      const orgId = organization ? (await accessOrg(ctx.db, principal, organization)).org.id : undefined;
      const { rows, total } = await listVisibleProjects(ctx, principal, { orgId }, { page, per });
      const stats = await projectStats(
        ctx.db,
        rows.map((r) => r.id),
      );
      return {
        data: rows.map((row) => projectView(row, { id: row.org_id, name: row.org_name, slug: row.org_slug }, stats.get(row.id))),
        meta: { total, page, per },
      };
    },
  });

  app.post('/projects', {
    config: { auth: 'any', scope: 'projects:write', allProjects: true },
    schema: {
      tags: ['Projects'],
      summary: 'Create a project (org admin+)',
      description: "`organization_id` (id or slug) defaults to the API key's organization, or with a session to your oldest membership.",
      body: z.strictObject({
        name: ProjectNameSchema,
        description: ProjectDescriptionSchema.nullable().optional(),
        slug: SlugField.optional(),
        organization_id: OrgRef.optional(),
      }),
      response: { 201: envelope(ProjectSchema), ...problems(401, 403, 404, 409, 415, 422, 429) },
    },
    handler: async (request, reply) => {
      const principal = principalOf(request);
      const { organization_id, ...input } = request.body;
      const access = organization_id ? await accessOrg(ctx.db, principal, organization_id) : await defaultOrg(ctx.db, principal);
      if (!access) throw HttpErrors.NOT_FOUND({}, { message: 'You are not a member of any organization.' });
      requireRole(access.role, 'admin');
      const project = await createProject(ctx, actorOf(principal, originOf(request)), access.org.id, input);
      reply.code(201);
      return { data: projectView(project, access.org) };
    },
  });

  app.get('/projects/:id', {
    config: { auth: 'any', scope: 'projects:read', project: 'viewer' },
    schema: {
      tags: ['Projects'],
      summary: 'One project (by id or slug), with item counts',
      params: ProjectParams,
      response: { 200: envelope(ProjectSchema), ...problems(401, 403, 404, 409, 429) },
    },
    handler: async (request) => {
      const access = projectAccessOf(request);
      const stats = await projectStats(ctx.db, [access.project.id]);
      return { data: projectView(access.project, access.org, stats.get(access.project.id)) };
    },
  });

  app.patch('/projects/:id', {
    config: { auth: 'any', scope: 'projects:write', project: 'admin' },
    schema: {
      tags: ['Projects'],
      summary: 'Rename, change the slug or the description (project admin)',
      params: ProjectParams,
      body: z
        .strictObject({ name: ProjectNameSchema.optional(), slug: SlugField.optional(), description: ProjectDescriptionSchema.nullable().optional() })
        .refine((body) => Object.keys(body).length > 0, 'name, slug or description is required'),
      response: { 200: envelope(ProjectSchema), ...problems(401, 403, 404, 409, 415, 422, 429) },
    },
    handler: async (request) => {
      const principal = principalOf(request);
      const access = projectAccessOf(request);
      const project = await updateProject(ctx, actorOf(principal, originOf(request)), access, request.body);
      const stats = await projectStats(ctx.db, [project.id]);
      return { data: projectView(project, access.org, stats.get(project.id)) };
    },
  });

  app.delete('/projects/:id', {
    config: { auth: 'any', scope: 'projects:write', project: 'admin' },
    schema: {
      tags: ['Projects'],
      summary: 'Delete the project and its items (project admin)',
      params: ProjectParams,
      response: { 204: z.null().describe('Deleted'), ...problems(401, 403, 404, 409, 429) },
    },
    handler: async (request, reply) => {
      const principal = principalOf(request);
      const access = projectAccessOf(request);
      await deleteProject(ctx, actorOf(principal, originOf(request)), access);
      return reply.code(204).send(null);
    },
  });
}

/** A project's team: list, add, change role, remove or leave. */
export async function teamRoutes(app: Api, ctx: AppContext): Promise<void> {
  app.get('/projects/:id/members', {
    config: { auth: 'any', scope: 'projects:read', project: 'viewer' },
    schema: {
      tags: ['Project teams'],
      summary: 'The project team (explicit roles; org owners and admins are admin besides)',
      params: ProjectParams,
      querystring: PaginationQuery,
      response: { 200: listEnvelope(TeamMemberSchema), ...problems(401, 403, 404, 409, 422, 429) },
    },
    handler: async (request) => {
      const access = projectAccessOf(request);
      const { page, per } = request.query;
      const { rows, total } = await listTeam(ctx, access.project.id, { page, per });
      return { data: rows.map(teamView), meta: { total, page, per } };
    },
  });

  app.post('/projects/:id/members', {
    config: { auth: 'any', scope: 'members:write', project: 'admin' },
    schema: {
      tags: ['Project teams'],
      summary: 'Add an organization member to the team (project admin)',
      params: ProjectParams,
      body: z
        .strictObject({ user_id: UserIdParam.optional(), email: EmailSchema.optional(), role: ProjectRoleSchema })
        .refine((body) => (body.user_id === undefined) !== (body.email === undefined), 'give exactly one of user_id and email'),
      response: { 201: envelope(TeamMemberSchema), ...problems(401, 403, 404, 409, 415, 422, 429) },
    },
    handler: async (request, reply) => {
      const principal = principalOf(request);
      const access = projectAccessOf(request);
      const { user_id, email, role } = request.body;
      const row = await addTeamMember(ctx, actorOf(principal, originOf(request)), access, { userId: user_id, email }, role);
      reply.code(201);
      return { data: teamView(row) };
    },
  });

  app.patch('/projects/:id/members/:user_id', {
    config: { auth: 'any', scope: 'members:write', project: 'admin' },
    schema: {
      tags: ['Project teams'],
      summary: "Change a team member's project role (project admin)",
      params: TeamParams,
      body: z.strictObject({ role: ProjectRoleSchema }),
      response: { 200: envelope(TeamMemberSchema), ...problems(401, 403, 404, 409, 415, 422, 429) },
    },
    handler: async (request) => {
      const principal = principalOf(request);
      const access = projectAccessOf(request);
      const row = await changeTeamRole(ctx, actorOf(principal, originOf(request)), access, request.params.user_id, request.body.role);
      return { data: teamView(row) };
    },
  });

  app.delete('/projects/:id/members/:user_id', {
    config: { auth: 'any', scope: 'members:write' },
    schema: {
      tags: ['Project teams'],
      summary: 'Take someone off the team (project admin), or leave it yourself',
      params: TeamParams,
      response: { 204: z.null().describe('Removed'), ...problems(401, 403, 404, 409, 429) },
    },
    handler: async (request, reply) => {
      const principal = principalOf(request);
      const access = await accessProject(ctx.db, principal, request.params.id);
      if (request.params.user_id !== principal.user.id) requireProjectRole(access, 'admin');
      await removeTeamMember(ctx, actorOf(principal, originOf(request)), access, request.params.user_id);
      return reply.code(204).send(null);
    },
  });
}
