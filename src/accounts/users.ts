import { recordAudit } from '../audit/audit.js';
import type { AppContext } from '../context.js';
import type { Executor, Trx } from '../db/index.js';
import { newId } from '../lib/random.js';
import { isTotpEnabled } from './totp.js';
export interface UserView {
  id: string;
  email: string;
  name: string | null;
  email_verified_at: number | null;
  two_factor_enabled: boolean;
  created_at: number;
}

export async function userView(db: Executor, userId: string): Promise<UserView> {
  const user = await db
    .selectFrom('users')
    .select(['id', 'email', 'name', 'email_verified_at', 'created_at'])
    .where('id', '=', userId)
    .executeTakeFirstOrThrow();
  return { ...user, two_factor_enabled: await isTotpEnabled(db, userId) };
}

/**
 * A code mailed to `email` came back, which proves the mailbox as a verification link does: the user of
 * that address, made now (verified, no password) if there is none. A password set before the mailbox was
 * proven may be a squatter's (someone who signed up with this address first): it is dropped. Null for a
 * disabled user (disabled after the code was mailed): no key and no organization for them.
 */
export async function userOfProvenMailbox(trx: Trx, now: number, email: string, via: 'agent'): Promise<{ userId: string; isNewUser: boolean } | null> {
  const user = await trx.selectFrom('users').select(['id', 'email_verified_at', 'disabled_at']).where('email', '=', email).executeTakeFirst();
  if (user?.disabled_at != null) return null;
  if (user) {
    if (user.email_verified_at === null) {
      await trx.updateTable('users').set({ email_verified_at: now, password_hash: null, updated_at: now }).where('id', '=', user.id).execute();
    }
    return { userId: user.id, isNewUser: false };
  }
  const userId = newId('usr');
  await trx
    .insertInto('users')
    .values({ id: userId, email, name: null, email_verified_at: now, password_hash: null, disabled_at: null, created_at: now, updated_at: now })
    .execute();
  await recordAudit(trx, now, { action: 'user.created', actorUserId: userId, targetType: 'user', targetId: userId, details: { via } });
  return { userId, isNewUser: true };
}

/** The display name (null: none). Not a security fact: no re-authentication, no notice. */
export async function updateProfile(ctx: AppContext, userId: string, profile: { name: string | null }): Promise<UserView> {
  await ctx.db.updateTable('users').set({ name: profile.name }).where('id', '=', userId).execute();
  return userView(ctx.db, userId);
}

/** The organizations the user belongs to, with their role, oldest membership first. */
export async function membershipsOf(db: Executor, userId: string) {
  return db
    .selectFrom('memberships as m')
    .innerJoin('organizations as o', 'o.id', 'm.org_id')
    .select(['o.id', 'o.name', 'o.slug', 'm.role'])
    .where('m.user_id', '=', userId)
    .orderBy('m.created_at')
    .orderBy('o.id')
    .execute();
}
