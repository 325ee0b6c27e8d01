import { recordAudit } from '../audit/audit.js';
import type { Principal } from '../auth/principal.js';
import type { AppContext } from '../context.js';
import { isUniqueViolation, type Executor, type Trx } from '../db/index.js';
import { HttpErrors, SharedErrors } from '../http/errors.js';
import { announce } from '../stamps/stamps.js';
import { readAllowList, storeAllowList } from '../lib/allow-list.js';
import { attenuate, type Attenuated, type KeyBounds } from '../keys/attenuate.js';
import { issuingKeys, type IssueKey } from '../keys/issue.js';
import { revokeMemberKeys } from '../keys/service.js';
import { removeFromAllTeams } from '../projects/service.js';
import { slugify, uniqueSlug } from '../lib/slug.js';
import { byActor, type Actor } from '../audit/actor.js';
import { OrgErrors } from './errors.js';
import { findOrganization, lockMembership, ROLE_RANK } from '../access/orgs.js';
import { countOwners, insertOrganization } from './store.js';
import type { OrganizationsTable, OrgRole } from './tables.js';
import { countRows, offsetOf, pageOf, type Page, type RosterRow } from '../db/paging.js';

/*
 * Organizations and their members. Every rule that involves the caller's role is checked again inside
 * the transaction by lockMembership, which takes the organization's lock first: a caller demoted a
 * moment ago cannot slip a change through, and "an organization always has an owner" holds under any
 * interleaving. The time of
 * a change is read after the lock too, so audit entries are ordered as the changes were applied.
 */

async function ensureAnOwner(trx: Executor, orgId: string): Promise<void> {
  if ((await countOwners(trx, orgId)) < 1) throw OrgErrors.LAST_OWNER();
}

// ---------------------------------------------------------------------------------------------------
// Organizations

/**
 * A key for the actor in `org` (kind `user`), made through the key the actor called with and bounded by
 * it (never outliving it, never allowed from more addresses); the full key is returned this once.
 */
export async function mintMemberKey(
  issueKey: IssueKey,
  actor: Actor,
  org: OrganizationsTable,
  via: 'organization' | 'invitation',
  bounds: KeyBounds,
): Promise<{ id: string; name: string; key: string }> {
  // The maker's projects are in another organization (the gate refuses keys bound to projects here): none carry over.
  const { expiresAt, allowedIps, scopes } = attenuate(bounds, {}) as Extract<Attenuated, { ok: true }>;
  const { row, key } = await issueKey({
    orgId: org.id,
    userId: actor.userId,
    name: `Key for ${org.slug}`.slice(0, 100),
    kind: 'user',
    expiresAt,
    allowedIps,
    scopes,
    projectIds: bounds.projectIds === null ? null : [],
    by: actor,
    via,
  });
  return { id: row.id, name: row.name, key };
}

export interface CreatedOrganization {
  org: OrganizationsTable;
  /** Minted when made through a key: an API key is bound to one organization, so its holder needs one for the new org. */
  apiKey: { id: string; name: string; key: string } | null;
}

/**
 * Creates an organization owned by the actor. Made through an API key (`keyBounds` are that key's), it
 * also mints them a key in it, in the same transaction, bounded by the calling key.
 */
export async function createOrganization(
  ctx: AppContext,
  actor: Actor,
  input: { name: string; slug?: string },
  keyBounds: KeyBounds | null,
): Promise<CreatedOrganization> {
  const now = ctx.clock.now();
  const attempt = async (slug: string) => {
    return issuingKeys(ctx, async (trx, issueKey) => {
      const org = await insertOrganization(trx, now, { name: input.name, slug, ownerId: actor.userId });
      await recordAudit(trx, now, {
        action: 'organization.created',
        orgId: org.id,
        targetType: 'organization',
        targetId: org.id,
        ...byActor(actor),
        details: { name: org.name, slug: org.slug },
      });
      return { org, apiKey: keyBounds ? await mintMemberKey(issueKey, actor, org, 'organization', keyBounds) : null };
    });
  };
  if (input.slug) {
    try {
      return await attempt(input.slug);
    } catch (error) {
      if (isUniqueViolation(error)) throw SharedErrors.SLUG_TAKEN({ slug: input.slug });
      throw error;
    }
  }
  // No slug asked for: the plain one if free, else one with a random suffix.
  const base = slugify(input.name);
  if (!(await findOrganization(ctx.db, base))) {
    try {
      return await attempt(base);
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
    }
  }
  return attempt(uniqueSlug(input.name));
}

export interface OrgWithRole extends OrganizationsTable {
  role: OrgRole;
}

/** The caller's organizations: all of them with a session, only the key's own with an API key. */
export async function listMyOrganizations(ctx: AppContext, principal: Principal, page: Page): Promise<{ rows: OrgWithRole[]; total: number }> {
  let base = ctx.db.selectFrom('organizations as o').innerJoin('memberships as m', 'm.org_id', 'o.id').where('m.user_id', '=', principal.user.id);
  if (principal.org) base = base.where('o.id', '=', principal.org.id);
  const [rows, total] = await Promise.all([
    base.selectAll('o').select('m.role').orderBy('m.created_at').orderBy('o.id').limit(page.per).offset(offsetOf(page)).execute(),
    countRows(base),
  ]);
  return { rows, total };
}

export interface OrgPatch {
  name?: string;
  slug?: string;
  allowed_ips?: string[] | null;
  key_expiry_mails?: boolean;
  unused_keys_digest?: boolean;
}

const MAIL_SWITCHES = ['key_expiry_mails', 'unused_keys_digest'] as const;

/** Name, slug and allowed IPs: admin and owner. */
export async function updateOrganization(ctx: AppContext, actor: Actor, orgId: string, patch: OrgPatch): Promise<OrganizationsTable> {
  let updated: OrganizationsTable;
  try {
    updated = await ctx.db.transaction().execute(async (trx) => {
      await lockMembership(trx, orgId, actor.userId, 'admin');
      const now = ctx.clock.now();
      const before = (await findOrganization(trx, orgId))!;
      const changes: Partial<OrganizationsTable> = {};
      if (patch.name !== undefined && patch.name !== before.name) changes.name = patch.name;
      if (patch.slug !== undefined && patch.slug !== before.slug) changes.slug = patch.slug;
      if (patch.allowed_ips !== undefined) {
        const stored = storeAllowList(patch.allowed_ips);
        if (stored !== before.allowed_ips) changes.allowed_ips = stored;
      }
      for (const field of MAIL_SWITCHES) {
        const on = patch[field] === undefined ? undefined : patch[field] ? 1 : 0;
        if (on !== undefined && on !== before[field]) changes[field] = on;
      }
      if (Object.keys(changes).length === 0) return before;
      const after = await trx
        .updateTable('organizations')
        .set({ ...changes, updated_at: now })
        .where('id', '=', orgId)
        .returningAll()
        .executeTakeFirstOrThrow();
      const details: Record<string, unknown> = {};
      for (const field of Object.keys(changes) as Array<keyof OrganizationsTable>) {
        details[field] =
          field === 'allowed_ips'
            ? { from: readAllowList(before.allowed_ips), to: readAllowList(after.allowed_ips) }
            : (MAIL_SWITCHES as readonly string[]).includes(field)
              ? { from: before[field] === 1, to: after[field] === 1 }
              : { from: before[field], to: after[field] };
      }
      await announce(trx, 'auth'); // keys carry the organization's name, slug and allow-list
      await recordAudit(trx, now, {
        action: 'organization.updated',
        orgId,
        targetType: 'organization',
        targetId: orgId,
        ...byActor(actor),
        details,
      });
      return after;
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw SharedErrors.SLUG_TAKEN({ slug: patch.slug });
    throw error;
  }
  return updated;
}

/** Owner only. Memberships, keys, invitations, credits and projects go with it (foreign keys cascade). */
export async function deleteOrganization(ctx: AppContext, actor: Actor, orgId: string): Promise<void> {
  await ctx.db.transaction().execute(async (trx) => {
    await lockMembership(trx, orgId, actor.userId, 'owner');
    const now = ctx.clock.now();
    const org = (await findOrganization(trx, orgId))!;
    await trx.deleteFrom('organizations').where('id', '=', orgId).execute();
    await announce(trx, 'auth');
    await recordAudit(trx, now, {
      action: 'organization.deleted',
      orgId,
      targetType: 'organization',
      targetId: orgId,
      ...byActor(actor),
      details: { name: org.name, slug: org.slug },
    });
  });
}

// ---------------------------------------------------------------------------------------------------
// Members

export type MemberRow = RosterRow<OrgRole>;

function membersQuery(db: Executor, orgId: string) {
  return db
    .selectFrom('memberships as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .select(['u.id as user_id', 'u.email', 'u.name', 'm.role', 'm.created_at'])
    .where('m.org_id', '=', orgId);
}

export async function listMembers(ctx: AppContext, orgId: string, page: Page): Promise<{ rows: MemberRow[]; total: number }> {
  return pageOf(membersQuery(ctx.db, orgId).orderBy('m.created_at').orderBy('u.id'), page);
}

export async function findMember(db: Executor, orgId: string, userId: string): Promise<MemberRow | undefined> {
  return membersQuery(db, orgId).where('m.user_id', '=', userId).executeTakeFirst();
}

/**
 * Owner > admin > member. Admins manage admins and members; only an owner makes or unmakes owners;
 * nobody raises their own role; the last owner cannot step down.
 */
export async function changeMemberRole(ctx: AppContext, actor: Actor, orgId: string, targetUserId: string, role: OrgRole): Promise<MemberRow> {
  const member = await ctx.db.transaction().execute(async (trx) => {
    const callerRole = await lockMembership(trx, orgId, actor.userId, 'admin');
    const now = ctx.clock.now();
    const target = await findMember(trx, orgId, targetUserId);
    if (!target) throw SharedErrors.MEMBER_NOT_FOUND({ user_id: targetUserId });
    if (target.role === role) return target;
    if (targetUserId === actor.userId && ROLE_RANK[role] > ROLE_RANK[target.role]) {
      throw HttpErrors.FORBIDDEN({ reason: 'self_promotion' }, { message: 'You cannot raise your own role.' });
    }
    if ((role === 'owner' || target.role === 'owner') && callerRole !== 'owner') {
      throw HttpErrors.FORBIDDEN({ required_role: 'owner', reason: 'owner_role' }, { message: 'Only an owner can make or unmake owners.' });
    }
    await trx.updateTable('memberships').set({ role }).where('org_id', '=', orgId).where('user_id', '=', targetUserId).execute();
    if (target.role === 'owner') await ensureAnOwner(trx, orgId);
    await announce(trx, 'auth'); // the member's keys carry their role
    await recordAudit(trx, now, {
      action: 'member.role_changed',
      orgId,
      targetType: 'user',
      targetId: targetUserId,
      ...byActor(actor),
      details: { email: target.email, from: target.role, to: role },
    });
    if (ROLE_RANK[role] < ROLE_RANK.admin) await cancelInvitationsBy(trx, now, actor, orgId, targetUserId, 'inviter_demoted');
    return { ...target, role };
  });
  return member;
}

/**
 * Removes a member (admin+; only an owner removes an owner), or lets the caller leave. In the same
 * transaction the member loses every project role in the organization and their keys in it are revoked,
 * so nothing they held comes back if they are invited again.
 */
export async function removeMember(ctx: AppContext, actor: Actor, orgId: string, targetUserId: string): Promise<void> {
  const leaving = targetUserId === actor.userId;
  await ctx.db.transaction().execute(async (trx) => {
    const callerRole = await lockMembership(trx, orgId, actor.userId, leaving ? 'member' : 'admin');
    const now = ctx.clock.now();
    const target = await findMember(trx, orgId, targetUserId);
    if (!target) throw SharedErrors.MEMBER_NOT_FOUND({ user_id: targetUserId });
    if (!leaving && target.role === 'owner' && callerRole !== 'owner') {
      throw HttpErrors.FORBIDDEN({ required_role: 'owner', reason: 'owner_role' }, { message: 'Only an owner can remove an owner.' });
    }
    await trx.deleteFrom('memberships').where('org_id', '=', orgId).where('user_id', '=', targetUserId).execute();
    if (target.role === 'owner') await ensureAnOwner(trx, orgId);
    const projectRolesRemoved = await removeFromAllTeams(trx, orgId, targetUserId);
    const keysRevoked = await revokeMemberKeys(trx, orgId, targetUserId, now);
    await cancelInvitationsBy(trx, now, actor, orgId, targetUserId, leaving ? 'inviter_left' : 'inviter_removed');
    await announce(trx, 'auth');
    await recordAudit(trx, now, {
      action: leaving ? 'member.left' : 'member.removed',
      orgId,
      targetType: 'user',
      targetId: targetUserId,
      ...byActor(actor),
      details: {
        email: target.email,
        role: target.role,
        project_roles_removed: projectRolesRemoved,
        api_keys_revoked: keysRevoked,
      },
    });
  });
}

/** Invitations a member sent stand on their right to invite: once they lose it (removed, left, demoted), pending ones are canceled. */
async function cancelInvitationsBy(trx: Trx, now: number, actor: Actor, orgId: string, inviterId: string, reason: string): Promise<void> {
  const canceled = await trx
    .updateTable('invitations')
    .set({ canceled_at: now })
    .where('org_id', '=', orgId)
    .where('invited_by', '=', inviterId)
    .where('accepted_at', 'is', null)
    .where('canceled_at', 'is', null)
    .returning(['id', 'email', 'role'])
    .execute();
  for (const invitation of canceled) {
    await recordAudit(trx, now, {
      action: 'invitation.canceled',
      orgId,
      targetType: 'invitation',
      targetId: invitation.id,
      ...byActor(actor),
      details: { email: invitation.email, role: invitation.role, reason },
    });
  }
}

/** The owner hands ownership to another member, who becomes owner; the caller stays on as admin. */
export async function transferOwnership(ctx: AppContext, actor: Actor, orgId: string, targetUserId: string): Promise<MemberRow> {
  const member = await ctx.db.transaction().execute(async (trx): Promise<MemberRow> => {
    await lockMembership(trx, orgId, actor.userId, 'owner');
    const now = ctx.clock.now();
    const target = await findMember(trx, orgId, targetUserId);
    if (!target) throw SharedErrors.MEMBER_NOT_FOUND({ user_id: targetUserId });
    if (target.role === 'owner') throw OrgErrors.ALREADY_OWNER({ user_id: targetUserId });
    await trx.updateTable('memberships').set({ role: 'owner' }).where('org_id', '=', orgId).where('user_id', '=', targetUserId).execute();
    await trx.updateTable('memberships').set({ role: 'admin' }).where('org_id', '=', orgId).where('user_id', '=', actor.userId).execute();
    await ensureAnOwner(trx, orgId);
    await announce(trx, 'auth');
    await recordAudit(trx, now, {
      action: 'organization.ownership_transferred',
      orgId,
      targetType: 'user',
      targetId: targetUserId,
      ...byActor(actor),
      details: { from_user_id: actor.userId, to_user_id: targetUserId, to_email: target.email, to_previous_role: target.role, from_new_role: 'admin' },
    });
    return { ...target, role: 'owner' };
  });
  return member;
}
