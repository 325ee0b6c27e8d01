import { sql } from 'kysely';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import { listEnvelope, PaginationQuery, problems, Timestamp } from '../http/schemas.js';
import type { Api } from '../http/types.js';
import { normalizeEmail } from '../lib/email.js';
import { isoTime } from '../lib/time.js';
import { orgAccessOf } from '../access/precondition.js';
import { countRows, offsetOf } from '../db/paging.js';

const AuditEntrySchema = z
  .object({
    id: z.string(),
    action: z.string().meta({ example: 'api_key.revoked' }),
    outcome: z.enum(['success', 'failure']),
    actor: z.object({ user_id: z.string().nullable(), email: z.string().nullable(), api_key_id: z.string().nullable() }),
    target: z.object({ type: z.string().nullable(), id: z.string().nullable() }),
    ip: z.string().nullable(),
    user_agent: z.string().nullable(),
    details: z.record(z.string(), z.unknown()),
    created_at: Timestamp,
  })
  .meta({ id: 'AuditEntry' });

/** Who did what in an organization, when, from where, with what outcome (admins and owners). */
export async function auditRoutes(app: Api, ctx: AppContext): Promise<void> {
  app.get('/organizations/:org/audit-log', {
    config: { auth: 'any', scope: 'audit:read', org: 'admin' },
    schema: {
      tags: ['Audit log'],
      summary: "The organization's audit log, newest first (admin+)",
      params: z.object({ org: z.string().max(100) }),
      querystring: PaginationQuery.extend({
        actor: z.string().max(254).optional().meta({ description: 'user id or e-mail of the actor' }),
        action: z
          .string()
          .max(100)
          .regex(/^[a-z_.]+\*?$/, 'an action like api_key.revoked, or a prefix ending in * like api_key.*')
          .optional(),
        outcome: z.enum(['success', 'failure']).optional(),
        from: z.iso.datetime({ offset: true }).optional(),
        to: z.iso.datetime({ offset: true }).optional(),
      }),
      response: { 200: listEnvelope(AuditEntrySchema), ...problems(401, 403, 404, 422, 429) },
    },
    handler: async (request) => {
      const { org } = orgAccessOf(request);
      const q = request.query;
      let query = ctx.db.selectFrom('audit_log as a').leftJoin('users as u', 'u.id', 'a.actor_user_id').where('a.org_id', '=', org.id);
      if (q.actor) {
        const actor = q.actor.includes('@') ? normalizeEmail(q.actor) : q.actor;
        query = query.where((eb) => eb.or([eb('a.actor_user_id', '=', actor), eb('u.email', '=', actor)]));
      }
      if (q.action?.endsWith('*')) {
        const prefix = q.action.slice(0, -1);
        query = query.where(sql<boolean>`substr(a.action, 1, ${prefix.length}) = ${prefix}`);
      }
      else if (q.action) query = query.where('a.action', '=', q.action);
      if (q.outcome) query = query.where('a.outcome', '=', q.outcome);
      if (q.from) query = query.where('a.created_at', '>=', Date.parse(q.from));
      if (q.to) query = query.where('a.created_at', '<', Date.parse(q.to));

      const [rows, total] = await Promise.all([
        query.selectAll('a').select('u.email').orderBy('a.created_at', 'desc').orderBy('a.id', 'desc').limit(q.per).offset(offsetOf(q)).execute(),
        countRows(query),
      ]);
      return {
        data: rows.map((row) => ({
          id: row.id,
          action: row.action,
          outcome: row.outcome,
          actor: { user_id: row.actor_user_id, email: row.email, api_key_id: row.actor_key_id },
          target: { type: row.target_type, id: row.target_id },
          ip: row.ip,
          user_agent: row.user_agent,
          details: row.details ? (JSON.parse(row.details) as Record<string, unknown>) : {},
          created_at: isoTime(row.created_at),
        })),
        meta: { total: Number(total), page: q.page, per: q.per },
      };
    },
  });
}
