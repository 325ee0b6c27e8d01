import { z } from 'zod';
import type { AppContext } from '../context.js';
import { principalOf } from '../http/request.js';
import { envelope, listEnvelope, PaginationQuery, problems, Timestamp } from '../http/schemas.js';
import { originOf, type Api } from '../http/types.js';
import { EmailSchema } from '../lib/email.js';
import { isoTime } from '../lib/time.js';
import { orgAccessOf } from '../access/precondition.js';
import { actorOf } from '../audit/actor.js';
import { acceptInvitation, cancelInvitation, createInvitation, invitationStatus, listInvitations } from './invitations.js';
import { OrgRoleSchema } from '../access/orgs.js';
import { OrgRef } from '../http/schemas.js';
import { InvitationRoleSchema, OrganizationSchema, organizationView } from './schemas.js';
import { INVITATION_STATUSES, type InvitationsTable } from './tables.js';

const InvitationSchema = z
  .object({
    id: z.string(),
    email: z.string(),
    role: InvitationRoleSchema,
    status: z.enum(INVITATION_STATUSES),
    invited_by: z.string().meta({ description: 'User id of the inviter' }),
    created_at: Timestamp,
    expires_at: Timestamp,
  })
  .meta({ id: 'Invitation' });

function invitationView(row: InvitationsTable, now: number): z.infer<typeof InvitationSchema> {
  return {
    id: row.id,
    email: row.email,
    role: row.role,
    status: invitationStatus(row, now),
    invited_by: row.invited_by,
    created_at: isoTime(row.created_at),
    expires_at: isoTime(row.expires_at),
  };
}

/** Invitations by e-mail (§6): admins invite and cancel; the invited person accepts with the mailed token. */
export async function invitationRoutes(app: Api, ctx: AppContext): Promise<void> {
  const OrgParams = z.object({ org: OrgRef });

  app.get('/organizations/:org/invitations', {
    config: { auth: 'any', scope: 'org:read', org: 'admin' },
    schema: {
      tags: ['Invitations'],
      summary: 'Pending invitations (admin+)',
      params: OrgParams,
      querystring: PaginationQuery,
      response: { 200: listEnvelope(InvitationSchema), ...problems(401, 403, 404, 422, 429) },
    },
    handler: async (request) => {
      const { org } = orgAccessOf(request);
      const { page, per } = request.query;
      const { rows, total } = await listInvitations(ctx, org.id, { page, per });
      const now = ctx.clock.now();
      return { data: rows.map((row) => invitationView(row, now)), meta: { total, page, per } };
    },
  });

  app.post('/organizations/:org/invitations', {
    config: { auth: 'any', scope: 'members:write', org: 'admin' },
    schema: {
      tags: ['Invitations'],
      summary: 'Invite an e-mail address with a role (admin+); mails a link valid 7 days, once',
      description: 'Inviting an address that already has a pending invitation replaces it (the old link stops working).',
      params: OrgParams,
      body: z.strictObject({ email: EmailSchema, role: InvitationRoleSchema }),
      response: { 201: envelope(InvitationSchema), ...problems(401, 403, 404, 409, 415, 422, 429, 503) },
    },
    handler: async (request, reply) => {
      const principal = principalOf(request);
      const { org } = orgAccessOf(request);
      const invitation = await createInvitation(ctx, actorOf(principal, originOf(request)), org, request.body);
      reply.code(201);
      return { data: invitationView(invitation, ctx.clock.now()) };
    },
  });

  app.delete('/organizations/:org/invitations/:id', {
    config: { auth: 'any', scope: 'members:write', org: 'admin' },
    schema: {
      tags: ['Invitations'],
      summary: 'Cancel an invitation (admin+)',
      params: z.object({ org: OrgRef, id: z.string().min(1).max(100) }),
      response: { 204: z.null().describe('Canceled'), ...problems(401, 403, 404, 409, 429) },
    },
    handler: async (request, reply) => {
      const principal = principalOf(request);
      const { org } = orgAccessOf(request);
      await cancelInvitation(ctx, actorOf(principal, originOf(request)), org.id, request.params.id);
      return reply.code(204).send(null);
    },
  });

  app.post('/invitations/accept', {
    config: { auth: 'any', scope: 'members:write', allProjects: true },
    schema: {
      tags: ['Invitations'],
      summary: 'Accept an invitation as the invited person (session, or any API key of theirs)',
      description:
        "The caller's verified e-mail must be the invited address. The role is the one in the invitation. " +
        'Accepted with an API key (which is bound to another organization), the answer also carries `api_key`: ' +
        'a new key for the organization joined, shown this once.',
      body: z.strictObject({ token: z.string().min(1).max(200) }),
      response: {
        200: envelope(
          z.object({
            organization: OrganizationSchema,
            role: OrgRoleSchema,
            api_key: z.object({ id: z.string(), name: z.string(), key: z.string() }).optional(),
          }),
        ),
        ...problems(400, 401, 403, 409, 415, 422, 429),
      },
    },
    handler: async (request) => {
      const principal = principalOf(request);
      const result = await acceptInvitation(ctx, principal, actorOf(principal, originOf(request)), request.body.token);
      return {
        data: {
          organization: organizationView(result.org, result.role),
          role: result.role,
          ...(result.apiKey ? { api_key: result.apiKey } : {}),
        },
      };
    },
  });
}
