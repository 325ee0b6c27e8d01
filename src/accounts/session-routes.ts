import { z } from 'zod';
import type { AppContext } from '../context.js';
import { principalOf, sessionPrincipalOf } from '../http/request.js';
import { HttpErrors } from '../http/errors.js';
import { envelope, listEnvelope, PaginationQuery, problems, Timestamp } from '../http/schemas.js';
import { OrgRoleSchema } from '../access/orgs.js';
import { originOf, type Api } from '../http/types.js';
import { isoTime } from '../lib/time.js';
import { clearSessionCookie } from './http.js';
import { endSession, listSessions } from './sessions.js';
import { membershipsOf, updateProfile, userView } from './users.js';
import { sessionEndsAt } from './sessions.js';
import { UserSchema, SessionSchema, Name, showUser } from './schemas.js';

/** The signed-in person: logout, the session and profile, and their other sessions. */
export async function sessionRoutes(app: Api, ctx: AppContext): Promise<void> {
  const tags = ['Accounts'];

  app.post('/auth/logout', {
    config: { auth: 'session' },
    schema: { tags, summary: 'End this session (server-side)', response: { 204: z.null(), ...problems(401, 403) } },
    handler: async (request, reply) => {
      const principal = sessionPrincipalOf(request);
      await endSession(ctx, principal.user.id, principal.session.id, originOf(request), 'auth.logout');
      clearSessionCookie(ctx, reply);
      return reply.code(204).send(null);
    },
  });

  app.get('/auth/session', {
    config: { auth: 'session' },
    schema: {
      tags,
      summary: 'The signed-in user, this session, and the organizations they belong to',
      response: {
        200: envelope(
          z.object({
            user: UserSchema,
            session: SessionSchema,
            memberships: z.array(z.object({ organization: z.object({ id: z.string(), name: z.string(), slug: z.string() }), role: OrgRoleSchema })),
          }),
        ),
        ...problems(401),
      },
    },
    handler: async (request) => {
      const principal = sessionPrincipalOf(request);
      const memberships = await membershipsOf(ctx.db, principal.user.id);
      return {
        data: {
          user: showUser(await userView(ctx.db, principal.user.id)),
          session: { id: principal.session.id, expires_at: isoTime(principal.session.expires_at) },
          memberships: memberships.map((m) => ({ organization: { id: m.id, name: m.name, slug: m.slug }, role: m.role })),
        },
      };
    },
  });

  app.patch('/auth/profile', {
    config: { auth: 'session' },
    schema: {
      tags,
      summary: 'Change my display name (null removes it)',
      body: z.object({ name: Name.nullable() }).strict(),
      response: { 200: envelope(z.object({ user: UserSchema })), ...problems(401, 403, 422) },
    },
    handler: async (request) => ({ data: { user: showUser(await updateProfile(ctx, principalOf(request).user.id, request.body)) } }),
  });

  app.get('/auth/sessions', {
    config: { auth: 'session' },
    schema: {
      tags,
      summary: 'My sessions, newest first',
      querystring: PaginationQuery,
      response: {
        200: listEnvelope(
          z.object({
            id: z.string(),
            created_at: Timestamp,
            last_seen_at: Timestamp,
            expires_at: Timestamp,
            ip: z.string().nullable(),
            user_agent: z.string().nullable(),
            current: z.boolean(),
          }),
        ),
        ...problems(401, 422),
      },
    },
    handler: async (request) => {
      const principal = sessionPrincipalOf(request);
      const { page, per } = request.query;
      const { rows, total } = await listSessions(ctx, principal.user.id, { page, per });
      return {
        data: rows.map((row) => ({
          id: row.id,
          created_at: isoTime(row.created_at),
          last_seen_at: isoTime(row.last_seen_at),
          expires_at: isoTime(sessionEndsAt(ctx, row)),
          ip: row.ip,
          user_agent: row.user_agent,
          current: row.id === principal.session.id,
        })),
        meta: { total, page, per },
      };
    },
  });

  app.delete('/auth/sessions/:id', {
    config: { auth: 'session' },
    schema: {
      tags,
      summary: 'End one of my sessions',
      params: z.object({ id: z.string().min(1).max(64) }),
      response: { 204: z.null(), ...problems(401, 403, 404) },
    },
    handler: async (request, reply) => {
      const principal = sessionPrincipalOf(request);
      if (!(await endSession(ctx, principal.user.id, request.params.id, originOf(request), 'session.revoked'))) throw HttpErrors.NOT_FOUND();
      if (request.params.id === principal.session.id) clearSessionCookie(ctx, reply);
      return reply.code(204).send(null);
    },
  });
}
