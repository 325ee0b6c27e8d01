import { z } from 'zod';
import type { AppContext } from '../context.js';
import { principalOf } from '../http/request.js';
import { HttpErrors } from '../http/errors.js';
import { envelope, listEnvelope, PaginationQuery, problems, singleLine, Timestamp } from '../http/schemas.js';
import { originOf, type Api } from '../http/types.js';
import { isoTime } from '../lib/time.js';
import { orgAccessOf } from '../access/precondition.js';
import { AllowListSchema, readAllowList } from '../lib/allow-list.js';
import { reportLeakedKeys } from './leaked.js';
import { KEY_KINDS } from './tables.js';
import { GrantSchema, readProjectIds, readScopes, SCOPES } from './scopes.js';
import { createKey, getKey, keyUsageSince, listKeys, revokeKey, rotateKey, usageRows, type KeyView } from './service.js';

const MAX_OVERLAP_SECONDS = 7 * 24 * 3600;
const DAY_MS = 86_400_000;

const KeySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    kind: z.enum(KEY_KINDS),
    last_four: z.string(),
    created_at: Timestamp,
    created_by: z.object({ id: z.string(), email: z.string().nullable(), name: z.string().nullable() }),
    last_used_at: Timestamp.nullable(),
    last_used_ip: z.string().nullable(),
    expires_at: Timestamp.nullable(),
    revoked_at: Timestamp.nullable().meta({ description: 'Set when revoked; in the future while a rotated key is still in its overlap' }),
    allowed_ips: z.array(z.string()),
    scopes: z.array(GrantSchema).meta({ description: '`["*"]`: everything its owner may do; see `x-scopes`' }),
    project_ids: z.array(z.string()).nullable().meta({ description: 'The projects it reaches; null: every project of the organization' }),
  })
  .meta({ id: 'ApiKey' });

const StatusCounts = z.object({ '2xx': z.number(), '3xx': z.number(), '4xx': z.number(), '5xx': z.number() });

function keyOut(row: KeyView) {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    last_four: row.last_four,
    created_at: isoTime(row.created_at),
    created_by: { id: row.created_by, email: row.creator_email, name: row.creator_name },
    last_used_at: isoTime(row.last_used_at),
    last_used_ip: row.last_used_ip,
    expires_at: isoTime(row.expires_at),
    revoked_at: isoTime(row.revoked_at),
    allowed_ips: readAllowList(row.allowed_ips),
    scopes: readScopes(row.scopes),
    project_ids: readProjectIds(row.project_ids),
  };
}

function byStatus(row: { status_2xx: number; status_3xx: number; status_4xx: number; status_5xx: number }) {
  return { '2xx': Number(row.status_2xx), '3xx': Number(row.status_3xx), '4xx': Number(row.status_4xx), '5xx': Number(row.status_5xx) };
}

function futureTime(field: string, iso: string | null | undefined, now: number): number | null {
  if (iso === undefined || iso === null) return null;
  const ms = Date.parse(iso);
  if (!(ms > now)) throw HttpErrors.VALIDATION_FAILED({ fields: { [field]: 'must be in the future' } });
  return ms;
}

const OrgParams = z.object({ org: z.string().max(100) });
const MAX_REPORTED_KEYS = 100;
const MAX_KEY_PROJECTS = 100;
const KeyParams = OrgParams.extend({ id: z.string().max(100) });

/** API key management (§6): create, list, view with usage, revoke, rotate; and the usage report. */
export async function keyRoutes(app: Api, ctx: AppContext): Promise<void> {
  app.get('/organizations/:org/api-keys', {
    config: { auth: 'any', scope: 'org:read', org: 'member' },
    schema: {
      tags: ['API keys'],
      summary: "The organization's API keys (admins and owners: all; members: their own)",
      params: OrgParams,
      querystring: PaginationQuery.extend({ include_revoked: z.enum(['true', 'false']).default('false') }),
      response: { 200: listEnvelope(KeySchema), ...problems(401, 404, 422, 429) },
    },
    handler: async (request) => {
      const principal = principalOf(request);
      const access = orgAccessOf(request);
      const { page, per, include_revoked } = request.query;
      const { rows, total } = await listKeys(ctx, access, principal, { includeRevoked: include_revoked === 'true', page, per });
      return { data: rows.map(keyOut), meta: { total, page, per } };
    },
  });

  app.post('/organizations/:org/api-keys', {
    config: { auth: 'any', scope: 'keys:write', org: 'member' },
    schema: {
      tags: ['API keys'],
      summary: 'Create a key for yourself; the full key is in this response only',
      params: OrgParams,
      description:
        '`scopes` (default `["*"]`, everything you may do) and `project_ids` (ids or slugs; default every project) limit what the key may do. ' +
        'Made with an API key, the new key never gets more than that key has: what is not given is inherited from it, and asking for more ' +
        '(a later expiry, other addresses, another scope or project) is refused with 422.',
      body: z.object({
        name: singleLine(100),
        expires_at: z.iso.datetime({ offset: true }).nullable().optional(),
        allowed_ips: AllowListSchema.optional(),
        scopes: z
          .array(GrantSchema)
          .min(1, 'must name at least one scope (leave it out for everything)')
          .max(SCOPES.length + 1)
          .optional(),
        project_ids: z
          .array(z.string().min(1).max(100))
          .min(1, 'must name at least one project (leave it out for every project)')
          .max(MAX_KEY_PROJECTS)
          .nullable()
          .optional(),
      }),
      response: { 201: envelope(KeySchema.extend({ key: z.string() })), ...problems(401, 404, 422, 429) },
    },
    handler: async (request, reply) => {
      const principal = principalOf(request);
      const access = orgAccessOf(request);
      const expiresAt = futureTime('expires_at', request.body.expires_at, ctx.clock.now());
      const { name, allowed_ips, scopes, project_ids } = request.body;
      const { key, view } = await createKey(
        ctx,
        access,
        principal,
        { name, expiresAt, allowedIps: allowed_ips ?? null, scopes, projects: project_ids },
        originOf(request),
      );
      reply.code(201);
      return { data: { ...keyOut(view), key } };
    },
  });

  app.get('/organizations/:org/api-keys/:id', {
    config: { auth: 'any', scope: 'org:read', org: 'member' },
    schema: {
      tags: ['API keys'],
      summary: 'One key, with its requests over the last 24 hours',
      params: KeyParams,
      response: {
        200: envelope(KeySchema.extend({ usage_24h: z.object({ requests: z.number(), by_status: StatusCounts }) })),
        ...problems(401, 404, 429),
      },
    },
    handler: async (request) => {
      const principal = principalOf(request);
      const access = orgAccessOf(request);
      const view = await getKey(ctx, access, principal, request.params.id);
      const usage = await keyUsageSince(ctx, view.id, ctx.clock.now() - DAY_MS);
      return { data: { ...keyOut(view), usage_24h: { requests: Number(usage.requests), by_status: byStatus(usage) } } };
    },
  });
}

/** Revoke, rotate, the usage report and leaked-key reports. */
export async function keyLifecycleRoutes(app: Api, ctx: AppContext): Promise<void> {
  app.delete('/organizations/:org/api-keys/:id', {
    config: { auth: 'any', scope: 'keys:write', org: 'member' },
    schema: {
      tags: ['API keys'],
      summary: 'Revoke a key: it fails on the next request, on every server process',
      params: KeyParams,
      response: { 204: z.undefined(), ...problems(401, 404, 429) },
    },
    handler: async (request, reply) => {
      const principal = principalOf(request);
      const access = orgAccessOf(request);
      await revokeKey(ctx, access, principal, request.params.id, originOf(request));
      reply.code(204).send();
    },
  });

  app.post('/organizations/:org/api-keys/:id/rotate', {
    config: { auth: 'any', scope: 'keys:write', org: 'member' },
    schema: {
      tags: ['API keys'],
      summary: 'Replace your own key with a new one; the old one keeps working for previous_expires_in_seconds (default 0)',
      params: KeyParams,
      body: z.object({ previous_expires_in_seconds: z.number().int().min(0).max(MAX_OVERLAP_SECONDS).default(0) }).default({ previous_expires_in_seconds: 0 }),
      response: {
        201: envelope(KeySchema.extend({ key: z.string(), previous: z.object({ id: z.string(), expires_at: Timestamp }) })),
        ...problems(401, 403, 404, 409, 422, 429),
      },
    },
    handler: async (request, reply) => {
      const principal = principalOf(request);
      const access = orgAccessOf(request);
      const rotated = await rotateKey(ctx, access, principal, request.params.id, request.body.previous_expires_in_seconds, originOf(request));
      reply.code(201);
      return { data: { ...keyOut(rotated.view), key: rotated.key, previous: { id: rotated.previous.id, expires_at: isoTime(rotated.previous.expires_at) } } };
    },
  });

  app.get('/organizations/:org/usage', {
    config: { auth: 'any', scope: 'org:read', org: 'member' },
    schema: {
      tags: ['API keys'],
      summary: 'Requests per key per hour (admins and owners: every key; members: their own)',
      params: OrgParams,
      querystring: z.object({
        from: z.iso.datetime({ offset: true }).optional().meta({ description: 'default: 24 hours ago' }),
        to: z.iso.datetime({ offset: true }).optional().meta({ description: 'default: now' }),
        key_id: z.string().max(100).optional(),
      }),
      response: {
        200: z.object({
          data: z.array(z.object({ key_id: z.string(), key_name: z.string(), hour: Timestamp, requests: z.number(), by_status: StatusCounts })),
          meta: z.object({ from: Timestamp, to: Timestamp, total_requests: z.number() }),
        }),
        ...problems(401, 404, 422, 429),
      },
    },
    handler: async (request) => {
      const principal = principalOf(request);
      const access = orgAccessOf(request);
      const now = ctx.clock.now();
      const to = request.query.to ? Date.parse(request.query.to) : now;
      const from = request.query.from ? Date.parse(request.query.from) : to - DAY_MS;
      if (from >= to) throw HttpErrors.VALIDATION_FAILED({ fields: { from: 'must be before to' } });
      if (to - from > 93 * DAY_MS) throw HttpErrors.VALIDATION_FAILED({ fields: { from: 'the range is at most 93 days' } });
      const rows = await usageRows(ctx, access, principal, { from, to, keyId: request.query.key_id });
      const data = rows.map((row) => ({
        key_id: row.key_id,
        key_name: row.key_name,
        hour: isoTime(row.hour_start),
        requests: Number(row.requests),
        by_status: byStatus(row),
      }));
      return { data, meta: { from: isoTime(from), to: isoTime(to), total_requests: data.reduce((sum, row) => sum + row.requests, 0) } };
    },
  });

  app.post('/keys/leaked', {
    schema: {
      tags: ['API keys'],
      summary: 'Report exposed keys (no credentials): every live one is revoked and its owner and admins are mailed; 202 whatever was sent',
      description:
        'For secret scanners and people who find a key where it should not be. Entries that are not well-formed keys, unknown keys and ' +
        'keys already revoked are ignored; the answer is the same either way. `source` and `url` (where the keys were found) go to the audit log.',
      body: z.object({
        keys: z.array(z.string().max(1000)).min(1).max(MAX_REPORTED_KEYS),
        source: singleLine(200).optional(),
        url: singleLine(2000).optional(),
      }),
      response: { 202: envelope(z.object({ message: z.string() })), ...problems(400, 415, 422, 429) },
    },
    handler: async (request, reply) => {
      await reportLeakedKeys(ctx, request.body, originOf(request));
      reply.code(202);
      return { data: { message: 'Thank you. Every live key in the report is revoked, and its owner is told.' } };
    },
  });
}
