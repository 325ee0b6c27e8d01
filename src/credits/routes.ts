import { z } from 'zod';
import type { AppContext } from '../context.js';
import { actorOf } from '../audit/actor.js';
import { principalOf, stampsOf } from '../http/request.js';
import { HttpErrors } from '../http/errors.js';
import { envelope, listEnvelope, PaginationQuery, problems, singleLine, Timestamp, OrgRef } from '../http/schemas.js';
import { originOf, type Api } from '../http/types.js';
import { isoTime } from '../lib/time.js';
import { accessOrg, defaultOrg } from '../access/orgs.js';
import { orgAccessOf } from '../access/precondition.js';
import { PlanSchema } from './plans.js';
import { LEDGER_KINDS } from './tables.js';
import { toCredits } from './ledger.js';
import { Credits } from './service.js';

const BalanceSchema = z.object({ total_credits: z.number(), credits_used: z.number(), credits_left: z.number() });

const Amount = z
  .number()
  .positive()
  .max(1_000_000_000)
  .refine((n) => Math.abs(n * 1e6 - Math.round(n * 1e6)) < 1e-6, 'must have at most 6 decimal places');

export async function creditRoutes(app: Api, ctx: AppContext): Promise<void> {
  const credits = new Credits(ctx);

  app.get('/credits/balance', {
    config: { auth: 'any', scope: 'credits:read' },
    schema: {
      tags: ['Credits'],
      summary: "The caller's organization's credits",
      description: "With an API key: the key's organization. With a session: `?organization=` (id or slug), else the oldest membership.",
      querystring: z.object({ organization: z.string().max(100).optional() }),
      response: { 200: BalanceSchema, ...problems(401, 404, 429) },
    },
    handler: async (request) => {
      const principal = principalOf(request);
      const org = request.query.organization
        ? (await accessOrg(ctx.db, principal, request.query.organization)).org
        : (principal.org ?? (await defaultOrg(ctx.db, principal))?.org);
      if (!org) throw HttpErrors.NOT_FOUND({}, { message: 'You are not a member of any organization.' });
      return credits.balance(org, await stampsOf(ctx, request));
    },
  });

  app.get('/organizations/:org/billing', {
    config: { auth: 'any', scope: 'credits:read', org: 'owner' },
    schema: {
      tags: ['Organizations'],
      summary: 'Plan, rate limit and credits (owner)',
      params: z.object({ org: OrgRef }),
      response: {
        200: envelope(
          z.object({
            plan: PlanSchema,
            rate_limit: z.object({ requests_per_hour: z.number().int().meta({ description: 'Per API key' }) }),
            credits: BalanceSchema,
          }),
        ),
        ...problems(401, 403, 404, 429),
      },
    },
    handler: async (request) => ({ data: await credits.billing(orgAccessOf(request).org) }),
  });

  ledgerRoutes(app, credits);
}

/** The ledger of an organization's credits and spending them. */
function ledgerRoutes(app: Api, credits: Credits): void {
  app.get('/organizations/:org/credits/ledger', {
    config: { auth: 'any', scope: 'credits:read', org: 'owner' },
    schema: {
      tags: ['Credits'],
      summary: "Every grant and debit of the organization's credits, newest first (owner)",
      params: z.object({ org: z.string().max(100) }),
      querystring: PaginationQuery,
      response: {
        200: listEnvelope(
          z.object({
            id: z.string(),
            kind: z.enum(LEDGER_KINDS),
            amount: z.number().meta({ description: 'Positive for both kinds; `kind` says which way it goes' }),
            reason: z.string().nullable(),
            actor: z.object({ user_id: z.string(), email: z.string() }).nullable(),
            created_at: Timestamp,
          }),
        ),
        ...problems(401, 403, 404, 422, 429),
      },
    },
    handler: async (request) => {
      const { page, per } = request.query;
      const { rows, total } = await credits.ledger(orgAccessOf(request).org, { page, per });
      return {
        data: rows.map((row) => ({
          id: row.id,
          kind: row.kind,
          amount: row.amount,
          reason: row.reason,
          actor: row.actor_user_id && row.email ? { user_id: row.actor_user_id, email: row.email } : null,
          created_at: isoTime(row.created_at),
        })),
        meta: { total, page, per },
      };
    },
  });

  app.post('/organizations/:org/credits/debits', {
    config: { auth: 'any', scope: 'credits:write', org: 'admin' },
    schema: {
      tags: ['Credits'],
      summary: 'Spend credits (admin+); the same idempotency_key never debits twice',
      params: z.object({ org: z.string().max(100) }),
      body: z.object({ amount: Amount, reason: singleLine(500), idempotency_key: z.string().min(1).max(255) }),
      response: {
        201: envelope(
          z.object({
            id: z.string(),
            amount: z.number(),
            reason: z.string().nullable(),
            idempotency_key: z.string().nullable(),
            created_at: Timestamp,
            balance: BalanceSchema,
          }),
        ),
        ...problems(401, 402, 403, 404, 409, 422, 429),
      },
    },
    handler: async (request, reply) => {
      const { org } = orgAccessOf(request);
      const { amount, reason, idempotency_key } = request.body;
      const { entry, replayed, balance } = await credits.debit(org, actorOf(principalOf(request), originOf(request)), {
        amount,
        reason,
        idempotencyKey: idempotency_key,
      });
      reply.code(201).header('idempotent-replayed', String(replayed));
      return {
        data: {
          id: entry.id,
          amount: toCredits(entry.amount_micros),
          reason: entry.reason,
          idempotency_key: entry.idempotency_key,
          created_at: isoTime(entry.created_at),
          balance,
        },
      };
    },
  });
}
