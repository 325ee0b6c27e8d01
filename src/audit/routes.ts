import { z } from 'zod';
import type { AppContext } from '../context.js';
import { listEnvelope, PaginationQuery, problems, Timestamp } from '../http/schemas.js';
import type { Api } from '../http/types.js';
import { isoTime } from '../lib/time.js';
import { orgAccessOf } from '../access/precondition.js';
import { listAuditEntries } from './log.js';
import { OUTCOMES } from './tables.js';

const AuditEntrySchema = z
  .object({
    id: z.string(),
    action: z.string().meta({ example: 'api_key.revoked' }),
    outcome: z.enum(OUTCOMES),
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
        outcome: z.enum(OUTCOMES).optional(),
        from: z.iso.datetime({ offset: true }).optional(),
        to: z.iso.datetime({ offset: true }).optional(),
      }),
      response: { 200: listEnvelope(AuditEntrySchema), ...problems(401, 403, 404, 422, 429) },
    },
    handler: async (request) => {
      const { org } = orgAccessOf(request);
      const { page, per, actor, action, outcome, from, to } = request.query;
      const filter = { actor, action, outcome, from: from ? Date.parse(from) : undefined, to: to ? Date.parse(to) : undefined };
      const { rows, total } = await listAuditEntries(ctx.db, org.id, filter, { page, per });
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
        meta: { total, page, per },
      };
    },
  });
}
