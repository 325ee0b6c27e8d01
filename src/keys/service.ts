import { sql } from 'kysely';
import { actorOf } from '../audit/actor.js';
import { recordAudit, type RequestOrigin } from '../audit/audit.js';
import type { ApiKeyPrincipal, Principal } from '../auth/principal.js';
import type { AppContext } from '../context.js';
import type { Executor, Trx } from '../db/index.js';
import { HttpErrors } from '../http/errors.js';
import { lockMembership, ROLE_RANK, type OrgAccess } from '../access/orgs.js';
import { attenuate, boundsOf, type KeyBounds } from './attenuate.js';
import { announce } from '../stamps/stamps.js';
import { KeyErrors } from './errors.js';
import { readAllowList } from '../lib/allow-list.js';
import { readProjectIds, readScopes, type Grant } from './scopes.js';
import { isKeyLive } from './store.js';
import { issuingKeys } from './issue.js';
import { projectIdsIn } from '../access/projects.js';
import type { ApiKeysTable } from './tables.js';
import { countRows, offsetOf } from '../db/paging.js';

export interface KeyView extends ApiKeysTable {
  creator_email: string | null;
  creator_name: string | null;
}

/** Admins and owners see and manage every key of the organization; members only their own. */
function seesAll(access: OrgAccess): boolean {
  return ROLE_RANK[access.role] >= ROLE_RANK.admin;
}

function keysQuery(db: Executor, access: OrgAccess, principal: Principal) {
  let query = db
    .selectFrom('api_keys as k')
    .leftJoin('users as c', 'c.id', 'k.created_by')
    .selectAll('k')
    .select(['c.email as creator_email', 'c.name as creator_name'])
    .where('k.org_id', '=', access.org.id);
  if (!seesAll(access)) query = query.where('k.user_id', '=', principal.user.id);
  return query;
}

export async function listKeys(
  ctx: AppContext,
  access: OrgAccess,
  principal: Principal,
  options: { includeRevoked: boolean; page: number; per: number },
): Promise<{ rows: KeyView[]; total: number }> {
  const now = ctx.clock.now();
  let query = keysQuery(ctx.db, access, principal);
  if (!options.includeRevoked) query = query.where((eb) => eb.or([eb('k.revoked_at', 'is', null), eb('k.revoked_at', '>', now)]));
  const [rows, total] = await Promise.all([
    query.orderBy('k.created_at', 'desc').orderBy('k.id', 'desc').limit(options.per).offset(offsetOf(options)).execute(),
    countRows(query),
  ]);
  return { rows, total };
}

export async function getKey(ctx: AppContext, access: OrgAccess, principal: Principal, keyId: string): Promise<KeyView> {
  const row = await keysQuery(ctx.db, access, principal).where('k.id', '=', keyId).executeTakeFirst();
  if (!row) throw KeyErrors.KEY_NOT_FOUND();
  return row;
}

export interface CreateKeyInput {
  name: string;
  expiresAt: number | null;
  allowedIps: string[] | null;
  /** Undefined: as the maker (everything, through a session). */
  scopes?: Grant[];
  /** Project ids or slugs of this organization; undefined: as the maker; null: every project. */
  projects?: string[] | null;
}

/** A new key for the caller, acting with the caller's role in the organization. */
export async function createKey(ctx: AppContext, access: OrgAccess, principal: Principal, input: CreateKeyInput, origin: RequestOrigin) {
  let projectIds: string[] | null | undefined = input.projects;
  if (projectIds) {
    const found = await projectIdsIn(ctx.db, access.org.id, projectIds);
    if (found.unknown.length > 0)
      throw HttpErrors.VALIDATION_FAILED({ fields: { project_ids: `no project ${found.unknown.join(', ')} in this organization` } });
    projectIds = found.ids;
  }
  // Made through a key, the new key is bounded by it: what was not asked for is inherited, more is refused.
  const bounded = attenuate(boundsOf(principal), { expiresAt: input.expiresAt, allowedIps: input.allowedIps, scopes: input.scopes, projectIds });
  if (!bounded.ok) throw HttpErrors.VALIDATION_FAILED({ fields: { [bounded.field]: bounded.problem } });
  const created = await issuingKeys(ctx, async (trx, issueKey) => {
    // Under the lock member removal takes: a key made while its owner is being removed is either made
    // first (and revoked with the rest) or not made at all.
    await lockMembership(trx, access.org.id, principal.user.id);
    return issueKey({
      orgId: access.org.id,
      userId: principal.user.id,
      name: input.name,
      kind: 'user',
      expiresAt: bounded.expiresAt,
      allowedIps: bounded.allowedIps,
      scopes: bounded.scopes,
      projectIds: bounded.projectIds,
      by: actorOf(principal, origin),
      via: 'api',
    });
  });
  return { ...created, view: await getKey(ctx, access, principal, created.row.id) };
}

/** Revokes at once, on every process. Revoking a revoked key is a no-op (still 204). */
export async function revokeKey(ctx: AppContext, access: OrgAccess, principal: Principal, keyId: string, origin: RequestOrigin): Promise<void> {
  const key = await getKey(ctx, access, principal, keyId);
  const now = ctx.clock.now();
  await ctx.db.transaction().execute(async (trx) => {
    const updated = await trx
      .updateTable('api_keys')
      .set({ revoked_at: now })
      .where('id', '=', key.id)
      .where((eb) => eb.or([eb('revoked_at', 'is', null), eb('revoked_at', '>', now)]))
      .returning('id')
      .executeTakeFirst();
    if (!updated) return;
    await announce(trx, 'auth');
    await recordAudit(trx, now, {
      action: 'api_key.revoked',
      orgId: access.org.id,
      actorUserId: principal.user.id,
      actorKeyId: principal.apiKey?.id,
      targetType: 'api_key',
      targetId: key.id,
      ip: origin.ip,
      userAgent: origin.userAgent,
      details: { name: key.name, last_four: key.last_four },
    });
  });
}

/**
 * A new key with the same name, owner, expiry and allow-list; the old one keeps working for
 * `overlapSeconds` (0 = it dies now). Two concurrent rotations of one key: one wins, one gets 409.
 */
export async function rotateKey(ctx: AppContext, access: OrgAccess, principal: Principal, keyId: string, overlapSeconds: number, origin: RequestOrigin) {
  const old = await getKey(ctx, access, principal, keyId);
  // The new key acts as the old key's owner and is handed to the caller: only that owner may rotate it
  // (an admin rotating someone else's key would walk away with that person's powers). Admins revoke instead.
  if (old.user_id !== principal.user.id) {
    throw HttpErrors.FORBIDDEN({}, { message: "Only the key's owner can rotate it; an admin or owner can revoke it instead." });
  }
  // Through a key, only a key no stronger than it: rotating hands out the new secret, and a short-lived,
  // address-bound or scoped key must not get one that outlives it, works from anywhere or does more.
  if (principal.apiKey && principal.apiKey.id !== old.id && !isWithin(principal.apiKey, old)) {
    throw HttpErrors.FORBIDDEN(
      { reason: 'key_attenuation' },
      {
        message:
          'A key can only rotate keys that end no later, are allowed from no more addresses, and hold no more scopes and projects than itself; ' +
          'rotate it with a session or that key.',
      },
    );
  }
  const now = ctx.clock.now();
  if (!isKeyLive(old, now) || old.revoked_at !== null) throw KeyErrors.KEY_ALREADY_REVOKED();
  const diesAt = now + overlapSeconds * 1000;
  const rotated = await issuingKeys(ctx, async (trx, issueKey) => {
    await lockMembership(trx, old.org_id, old.user_id);
    const claimed = await trx
      .updateTable('api_keys')
      .set({ revoked_at: diesAt })
      .where('id', '=', old.id)
      .where('revoked_at', 'is', null)
      .returning('id')
      .executeTakeFirst();
    if (!claimed) throw KeyErrors.KEY_ALREADY_REVOKED();
    await announce(trx, 'auth');
    return issueKey({
      orgId: old.org_id,
      userId: old.user_id,
      name: old.name,
      kind: old.kind,
      expiresAt: old.expires_at,
      allowedIps: readAllowList(old.allowed_ips),
      scopes: readScopes(old.scopes),
      projectIds: readProjectIds(old.project_ids),
      by: actorOf(principal, origin),
      via: 'rotation',
      rotates: { id: old.id, lastFour: old.last_four, overlapSeconds },
    });
  });
  return { ...rotated, previous: { id: old.id, expires_at: diesAt }, view: await getKey(ctx, access, principal, rotated.row.id) };
}

/** A member leaves or is removed: their keys in the organization stop working now. In the caller's transaction. */
export async function revokeMemberKeys(trx: Trx, orgId: string, userId: string, now: number): Promise<number> {
  const revoked = await trx
    .updateTable('api_keys')
    .set({ revoked_at: now })
    .where('org_id', '=', orgId)
    .where('user_id', '=', userId)
    .where((eb) => eb.or([eb('revoked_at', 'is', null), eb('revoked_at', '>', now)]))
    .executeTakeFirst();
  await announce(trx, 'auth');
  return Number(revoked.numUpdatedRows);
}

export interface UsageQuery {
  from: number;
  to: number;
  keyId?: string;
}

/** Requests per key per hour in [from, to), for the keys the caller may see. */
export async function usageRows(ctx: AppContext, access: OrgAccess, principal: Principal, query: UsageQuery) {
  if (query.keyId) await getKey(ctx, access, principal, query.keyId);
  await ctx.usage.flush(); // what this process counted so far is included
  let rows = ctx.db
    .selectFrom('api_key_usage as u')
    .innerJoin('api_keys as k', 'k.id', 'u.key_id')
    .select(['u.key_id', 'k.name as key_name', 'u.hour_start', 'u.requests', 'u.status_2xx', 'u.status_3xx', 'u.status_4xx', 'u.status_5xx'])
    .where('u.org_id', '=', access.org.id)
    .where('u.hour_start', '>=', query.from - (query.from % 3_600_000))
    .where('u.hour_start', '<', query.to);
  if (query.keyId) rows = rows.where('u.key_id', '=', query.keyId);
  if (!seesAll(access)) rows = rows.where('k.user_id', '=', principal.user.id);
  return rows.orderBy('u.hour_start').orderBy('u.key_id').execute();
}

/** Total requests of one key since `since`, by status class (the per-key view). */
export async function keyUsageSince(ctx: AppContext, keyId: string, since: number) {
  await ctx.usage.flush();
  const row = await ctx.db
    .selectFrom('api_key_usage')
    .select([
      sql<number>`cast(coalesce(sum(requests), 0) as bigint)`.as('requests'),
      sql<number>`cast(coalesce(sum(status_2xx), 0) as bigint)`.as('status_2xx'),
      sql<number>`cast(coalesce(sum(status_3xx), 0) as bigint)`.as('status_3xx'),
      sql<number>`cast(coalesce(sum(status_4xx), 0) as bigint)`.as('status_4xx'),
      sql<number>`cast(coalesce(sum(status_5xx), 0) as bigint)`.as('status_5xx'),
    ])
    .where('key_id', '=', keyId)
    .where('hour_start', '>=', since - (since % 3_600_000))
    .executeTakeFirstOrThrow();
  return row;
}

/**
 * Does `key` end no later, is it allowed from no more addresses, and does it hold no more scopes and
 * projects than `caller` (a key of the same organization, so the organization's allow-list binds both alike)?
 */
function isWithin(caller: ApiKeyPrincipal['apiKey'], key: Pick<ApiKeysTable, 'expires_at' | 'allowed_ips' | 'scopes' | 'project_ids'>): boolean {
  const callerIps = readAllowList(caller.allowed_ips);
  const bounds: KeyBounds = {
    endsAt: caller.ends_at,
    allowedIps: callerIps.length > 0 ? callerIps : null,
    scopes: caller.scopes,
    projectIds: caller.project_ids,
  };
  const own = readAllowList(key.allowed_ips);
  const checked = attenuate(bounds, {
    expiresAt: key.expires_at,
    allowedIps: own,
    scopes: readScopes(key.scopes),
    projectIds: readProjectIds(key.project_ids),
  });
  return checked.ok && checked.expiresAt === key.expires_at && (bounds.allowedIps === null || own.length > 0);
}
