import { SharedErrors } from '../http/errors.js';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import { boundsOf } from '../keys/attenuate.js';
import { principalOf } from '../http/request.js';
import { AllowListSchema } from '../lib/allow-list.js';
import { envelope, listEnvelope, PaginationQuery, problems } from '../http/schemas.js';
import { originOf, type Api } from '../http/types.js';
import { requireRole } from '../access/orgs.js';
import { orgAccessOf } from '../access/precondition.js';
import { actorOf } from '../audit/actor.js';
import { OrgRoleSchema } from '../access/orgs.js';
import { OrgRef, UserIdParam } from '../http/schemas.js';
import { MemberSchema, memberView, NameSchema, OrganizationSchema, organizationView, OrgSlugSchema } from './schemas.js';
import {
  changeMemberRole,
  createOrganization,
  deleteOrganization,
  findMember,
  listMembers,
  listMyOrganizations,
  removeMember,
  transferOwnership,
  updateOrganization,
} from './service.js';

const OrgParams = z.object({ org: OrgRef });
const MemberParams = z.object({ org: OrgRef, user_id: UserIdParam });

/** Organizations, their members and ownership transfer (§6); the billing view is the credits feature's. */
export async function orgRoutes(app: Api, ctx: AppContext): Promise<void> {
  app.get('/organizations', {
    config: { auth: 'any', scope: 'org:read' },
    schema: {
      tags: ['Organizations'],
      summary: "My organizations (with an API key: the key's organization)",
      querystring: PaginationQuery,
      response: { 200: listEnvelope(OrganizationSchema), ...problems(401, 422, 429) },
    },
    handler: async (request) => {
      const { page, per } = request.query;
      const { rows, total } = await listMyOrganizations(ctx, principalOf(request), { page, per });
      return { data: rows.map((row) => organizationView(row, row.role)), meta: { total, page, per } };
    },
  });

  app.post('/organizations', {
    config: { auth: 'any', scope: 'org:write', allProjects: true },
    schema: {
      tags: ['Organizations'],
      summary: 'Create an organization; the caller becomes its owner',
      description:
        'Created with an API key (which is bound to its own organization), the answer also carries `api_key`: ' +
        'a new key for the new organization, shown this once.',
      body: z.strictObject({ name: NameSchema, slug: OrgSlugSchema.optional() }),
      response: {
        201: envelope(OrganizationSchema.extend({ api_key: z.object({ id: z.string(), name: z.string(), key: z.string() }).optional() })),
        ...problems(401, 409, 415, 422, 429),
      },
    },
    handler: async (request, reply) => {
      const principal = principalOf(request);
      const { org, apiKey } = await createOrganization(ctx, actorOf(principal, originOf(request)), request.body, boundsOf(principal));
      reply.code(201);
      return { data: { ...organizationView(org, 'owner'), ...(apiKey ? { api_key: apiKey } : {}) } };
    },
  });

  app.get('/organizations/:org', {
    config: { auth: 'any', scope: 'org:read', org: 'member' },
    schema: {
      tags: ['Organizations'],
      summary: 'One organization (by id or slug)',
      params: OrgParams,
      response: { 200: envelope(OrganizationSchema), ...problems(401, 404, 429) },
    },
    handler: async (request) => {
      const { org, role } = orgAccessOf(request);
      return { data: organizationView(org, role) };
    },
  });

  app.patch('/organizations/:org', {
    config: { auth: 'any', scope: 'org:write', org: 'admin' },
    schema: {
      tags: ['Organizations'],
      summary: 'Rename, change the slug, the allowed IPs or the key hygiene mails (admin+)',
      description:
        "`allowed_ips`: IPs/CIDRs from which the organization's API keys may be used; `null` or `[]` = any address. " +
        '`key_expiry_mails` and `unused_keys_digest` turn the key hygiene mails on or off for the organization.',
      params: OrgParams,
      body: z
        .strictObject({
          name: NameSchema.optional(),
          slug: OrgSlugSchema.optional(),
          allowed_ips: AllowListSchema.optional(),
          key_expiry_mails: z.boolean().optional(),
          unused_keys_digest: z.boolean().optional(),
        })
        .refine((body) => Object.keys(body).length > 0, 'name, slug, allowed_ips, key_expiry_mails or unused_keys_digest is required'),
      response: { 200: envelope(OrganizationSchema), ...problems(401, 403, 404, 409, 415, 422, 429) },
    },
    handler: async (request) => {
      const principal = principalOf(request);
      const { org, role } = orgAccessOf(request);
      const updated = await updateOrganization(ctx, actorOf(principal, originOf(request)), org.id, request.body);
      return { data: organizationView(updated, role) };
    },
  });

  app.delete('/organizations/:org', {
    config: { auth: 'any', scope: 'org:write', allProjects: true, org: 'owner' },
    schema: {
      tags: ['Organizations'],
      summary: 'Delete the organization with its projects, keys and invitations (owner)',
      params: OrgParams,
      response: { 204: z.null().describe('Deleted'), ...problems(401, 403, 404, 429) },
    },
    handler: async (request, reply) => {
      const principal = principalOf(request);
      const { org } = orgAccessOf(request);
      await deleteOrganization(ctx, actorOf(principal, originOf(request)), org.id);
      return reply.code(204).send(null);
    },
  });
}

/** Members: list, read, change role, remove or leave, and ownership transfer. */
export async function memberRoutes(app: Api, ctx: AppContext): Promise<void> {
  app.get('/organizations/:org/members', {
    config: { auth: 'any', scope: 'org:read', org: 'member' },
    schema: {
      tags: ['Members'],
      summary: 'Members and their roles',
      params: OrgParams,
      querystring: PaginationQuery,
      response: { 200: listEnvelope(MemberSchema), ...problems(401, 404, 422, 429) },
    },
    handler: async (request) => {
      const { org } = orgAccessOf(request);
      const { page, per } = request.query;
      const { rows, total } = await listMembers(ctx, org.id, { page, per });
      return { data: rows.map(memberView), meta: { total, page, per } };
    },
  });

  app.get('/organizations/:org/members/:user_id', {
    config: { auth: 'any', scope: 'org:read', org: 'member' },
    schema: {
      tags: ['Members'],
      summary: 'One member',
      params: MemberParams,
      response: { 200: envelope(MemberSchema), ...problems(401, 404, 429) },
    },
    handler: async (request) => {
      const { org } = orgAccessOf(request);
      const member = await findMember(ctx.db, org.id, request.params.user_id);
      if (!member) throw SharedErrors.MEMBER_NOT_FOUND({ user_id: request.params.user_id });
      return { data: memberView(member) };
    },
  });

  app.patch('/organizations/:org/members/:user_id', {
    config: { auth: 'any', scope: 'members:write', org: 'admin' },
    schema: {
      tags: ['Members'],
      summary: "Change a member's role (admin+; only an owner makes or unmakes owners)",
      params: MemberParams,
      body: z.strictObject({ role: OrgRoleSchema }),
      response: { 200: envelope(MemberSchema), ...problems(401, 403, 404, 409, 415, 422, 429) },
    },
    handler: async (request) => {
      const principal = principalOf(request);
      const { org } = orgAccessOf(request);
      const member = await changeMemberRole(ctx, actorOf(principal, originOf(request)), org.id, request.params.user_id, request.body.role);
      return { data: memberView(member) };
    },
  });

  app.delete('/organizations/:org/members/:user_id', {
    config: { auth: 'any', scope: 'members:write', org: 'member' },
    schema: {
      tags: ['Members'],
      summary: 'Remove a member (admin+; only an owner removes an owner), or leave when it is you',
      description: 'The member loses every project role in the organization and their API keys in it are revoked at once.',
      params: MemberParams,
      response: { 204: z.null().describe('Removed'), ...problems(401, 403, 404, 409, 429) },
    },
    handler: async (request, reply) => {
      const principal = principalOf(request);
      const { org, role } = orgAccessOf(request);
      if (request.params.user_id !== principal.user.id) requireRole(role, 'admin');
      await removeMember(ctx, actorOf(principal, originOf(request)), org.id, request.params.user_id);
      return reply.code(204).send(null);
    },
  });

  app.post('/organizations/:org/transfer-ownership', {
    config: { auth: 'any', scope: 'members:write', org: 'owner' },
    schema: {
      tags: ['Members'],
      summary: 'Make another member owner; the caller stays on as admin (owner)',
      params: OrgParams,
      body: z.strictObject({ user_id: UserIdParam }),
      response: { 200: envelope(MemberSchema), ...problems(401, 403, 404, 409, 415, 422, 429) },
    },
    handler: async (request) => {
      const principal = principalOf(request);
      const { org } = orgAccessOf(request);
      const member = await transferOwnership(ctx, actorOf(principal, originOf(request)), org.id, request.body.user_id);
      return { data: memberView(member) };
    },
  });
}
