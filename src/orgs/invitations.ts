import { recordAudit } from '../audit/audit.js';
import type { Principal } from '../auth/principal.js';
import type { AppContext } from '../context.js';
import { isUniqueViolation } from '../db/index.js';
import { HttpErrors } from '../http/errors.js';
import { boundsOf } from '../keys/attenuate.js';
import { announce } from '../stamps/stamps.js';
import { newId, randomToken } from '../lib/random.js';
import { throttle } from '../ratelimit/throttles.js';
import { byActor, type Actor } from '../audit/actor.js';
import { OrgErrors } from './errors.js';
import { countRows, offsetOf, type Page } from '../db/paging.js';
import { mintMemberKey } from './service.js';
import { issuingKeys } from '../keys/issue.js';
import { AccountErrors } from '../accounts/errors.js';
import { MailErrors } from '../mail/errors.js';
import { findOrganization, lockMembership, lockOrganization } from '../access/orgs.js';
import type { InvitationRole, InvitationsTable, OrganizationsTable, OrgRole, InvitationStatus } from './tables.js';

const HOUR_MS = 3_600_000;
export const INVITATION_TTL_MS = 7 * 24 * HOUR_MS;

export function invitationStatus(invitation: InvitationsTable, now: number): InvitationStatus {
  if (invitation.accepted_at !== null) return 'accepted';
  if (invitation.canceled_at !== null) return 'canceled';
  return invitation.expires_at > now ? 'pending' : 'expired';
}

const tokenDigest = (ctx: AppContext, token: string) => ctx.secrets.hmac('invitation', token);

/**
 * Invites an address with a role (admin+) and mails the single-use link. A new invitation to an address
 * with an open one replaces it (the old link stops working). Only the token's HMAC is stored.
 */
export async function createInvitation(
  ctx: AppContext,
  actor: Actor,
  org: OrganizationsTable,
  input: { email: string; role: InvitationRole },
): Promise<InvitationsTable> {
  // Every invitation mails an address the inviter chose: limited per organization, per inviter and per
  // address, so the server cannot be used to mail-bomb or phish anyone.
  await throttle(ctx, 'invite:org', org.id);
  await throttle(ctx, 'invite:user', actor.userId);
  await throttle(ctx, 'invite:email', input.email);
  const token = randomToken(32);
  let invitation: InvitationsTable;
  try {
    invitation = await ctx.db.transaction().execute(async (trx) => {
      await lockMembership(trx, org.id, actor.userId, 'admin');
      const now = ctx.clock.now();
      const member = await trx
        .selectFrom('memberships as m')
        .innerJoin('users as u', 'u.id', 'm.user_id')
        .select('u.id')
        .where('m.org_id', '=', org.id)
        .where('u.email', '=', input.email)
        .executeTakeFirst();
      if (member) throw OrgErrors.ALREADY_MEMBER({ email: input.email, user_id: member.id });
      const replaced = await trx
        .updateTable('invitations')
        .set({ canceled_at: now })
        .where('org_id', '=', org.id)
        .where('email', '=', input.email)
        .where('accepted_at', 'is', null)
        .where('canceled_at', 'is', null)
        .returning('id')
        .execute();
      const row: InvitationsTable = {
        id: newId('inv'),
        org_id: org.id,
        email: input.email,
        role: input.role,
        token_hash: tokenDigest(ctx, token),
        invited_by: actor.userId,
        created_at: now,
        expires_at: now + INVITATION_TTL_MS,
        accepted_at: null,
        accepted_by: null,
        canceled_at: null,
      };
      await trx.insertInto('invitations').values(row).execute();
      await recordAudit(trx, now, {
        action: 'invitation.created',
        orgId: org.id,
        targetType: 'invitation',
        targetId: row.id,
        ...byActor(actor),
        details: { email: row.email, role: row.role, ...(replaced.length ? { replaced: replaced.map((r) => r.id) } : {}) },
      });
      return row;
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw OrgErrors.INVITATION_PENDING({ email: input.email });
    throw error;
  }

  const link = `${ctx.config.publicUrl}/invitations/accept?token=${encodeURIComponent(token)}`;
  try {
    await ctx.mailer.send({
      to: invitation.email,
      subject: `You are invited to join ${org.name} on FuncSpec`,
      text:
        `You have been invited to join the organization "${org.name}" on FuncSpec as ${invitation.role === 'admin' ? 'an admin' : 'a member'}.\n\n` +
        `Accept the invitation here (signed in as ${invitation.email}):\n${link}\n\n` +
        `The link works once and expires in 7 days. If you did not expect it, ignore this e-mail.\n`,
    });
  } catch (error) {
    ctx.log.error({ err: error }, 'invitation mail failed');
    // Nobody can use a link that never arrived: close the invitation so a retry starts clean.
    await ctx.db.transaction().execute(async (trx) => {
      await trx.updateTable('invitations').set({ canceled_at: ctx.clock.now() }).where('id', '=', invitation.id).where('accepted_at', 'is', null).execute();
      await recordAudit(trx, ctx.clock.now(), {
        action: 'invitation.canceled',
        orgId: org.id,
        targetType: 'invitation',
        targetId: invitation.id,
        ...byActor(actor),
        outcome: 'failure',
        details: { reason: 'mail_delivery_failed' },
      });
    });
    throw MailErrors.MAIL_DELIVERY_FAILED();
  }
  return invitation;
}

/** Pending invitations (neither accepted, canceled nor expired), newest first. */
export async function listInvitations(ctx: AppContext, orgId: string, page: Page): Promise<{ rows: InvitationsTable[]; total: number }> {
  const now = ctx.clock.now();
  const base = ctx.db
    .selectFrom('invitations')
    .where('org_id', '=', orgId)
    .where('accepted_at', 'is', null)
    .where('canceled_at', 'is', null)
    .where('expires_at', '>', now);
  const [rows, total] = await Promise.all([
    base.selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(page.per).offset(offsetOf(page)).execute(),
    countRows(base),
  ]);
  return { rows, total };
}

/** Cancels an open invitation (admin+); its link stops working. */
export async function cancelInvitation(ctx: AppContext, actor: Actor, orgId: string, invitationId: string): Promise<void> {
  await ctx.db.transaction().execute(async (trx) => {
    await lockMembership(trx, orgId, actor.userId, 'admin');
    const now = ctx.clock.now();
    const canceled = await trx
      .updateTable('invitations')
      .set({ canceled_at: now })
      .where('id', '=', invitationId)
      .where('org_id', '=', orgId)
      .where('accepted_at', 'is', null)
      .where('canceled_at', 'is', null)
      .returning(['email', 'role'])
      .executeTakeFirst();
    if (!canceled) {
      const exists = await trx.selectFrom('invitations').select('id').where('id', '=', invitationId).where('org_id', '=', orgId).executeTakeFirst();
      if (!exists) throw HttpErrors.NOT_FOUND();
      throw OrgErrors.INVITATION_NOT_PENDING({ invitation_id: invitationId });
    }
    await recordAudit(trx, now, {
      action: 'invitation.canceled',
      orgId,
      targetType: 'invitation',
      targetId: invitationId,
      ...byActor(actor),
      details: { email: canceled.email, role: canceled.role },
    });
  });
}

export interface AcceptResult {
  org: OrganizationsTable;
  role: OrgRole;
  /** Minted when the invitation was accepted with an API key: that key is bound to another organization. */
  apiKey: { id: string; name: string; key: string } | null;
}

/**
 * Accepts an invitation for the signed-in caller, whose verified e-mail must be the invited one. The
 * invitation is consumed by a guarded UPDATE and the membership row is unique, in one transaction: a
 * concurrent double accept makes exactly one membership. The role is the invitation's, never the caller's.
 */
export async function acceptInvitation(ctx: AppContext, principal: Principal, actor: Actor, token: string): Promise<AcceptResult> {
  const now = ctx.clock.now();
  const digest = tokenDigest(ctx, token);
  const invitation = await ctx.db.selectFrom('invitations').selectAll().where('token_hash', '=', digest).executeTakeFirst();
  if (!invitation || invitationStatus(invitation, now) !== 'pending') throw OrgErrors.INVITATION_INVALID();

  const user = await ctx.db.selectFrom('users').select(['email', 'email_verified_at']).where('id', '=', actor.userId).executeTakeFirstOrThrow();
  if (user.email_verified_at === null) throw AccountErrors.EMAIL_NOT_VERIFIED();
  if (user.email !== invitation.email) {
    await recordAudit(ctx.db, now, {
      action: 'invitation.accept',
      orgId: invitation.org_id,
      targetType: 'invitation',
      targetId: invitation.id,
      ...byActor(actor),
      outcome: 'failure',
      details: { reason: 'email_mismatch' },
    });
    throw OrgErrors.INVITATION_EMAIL_MISMATCH();
  }

  let result: AcceptResult;
  try {
    result = await issuingKeys(ctx, async (trx, issueKey) => {
      if (!(await lockOrganization(trx, invitation.org_id))) throw OrgErrors.INVITATION_INVALID();
      const now = ctx.clock.now();
      const consumed = await trx
        .updateTable('invitations')
        .set({ accepted_at: now, accepted_by: actor.userId })
        .where('id', '=', invitation.id)
        .where('accepted_at', 'is', null)
        .where('canceled_at', 'is', null)
        .where('expires_at', '>', now)
        .returning('role')
        .executeTakeFirst();
      if (!consumed) throw OrgErrors.INVITATION_INVALID();
      await trx.insertInto('memberships').values({ org_id: invitation.org_id, user_id: actor.userId, role: consumed.role, created_at: now }).execute();
      // The new member's keys act in the organization from now on, at every process.
      await announce(trx, 'auth');
      await recordAudit(trx, now, {
        action: 'invitation.accepted',
        orgId: invitation.org_id,
        targetType: 'invitation',
        targetId: invitation.id,
        ...byActor(actor),
        details: { email: invitation.email, role: consumed.role },
      });
      await recordAudit(trx, now, {
        action: 'member.added',
        orgId: invitation.org_id,
        targetType: 'user',
        targetId: actor.userId,
        ...byActor(actor),
        details: { email: invitation.email, role: consumed.role, invitation_id: invitation.id },
      });
      const org = (await findOrganization(trx, invitation.org_id))!;
      const bounds = boundsOf(principal);
      const apiKey = bounds ? await mintMemberKey(issueKey, actor, org, 'invitation', bounds) : null;
      return { org, role: consumed.role, apiKey };
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw OrgErrors.ALREADY_MEMBER({ email: invitation.email });
    throw error;
  }
  return result;
}
