import { recordAudit } from '../audit/audit.js';
import type { Trx } from '../db/index.js';
import { newId } from '../lib/random.js';

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
  await trx.insertInto('users').values({ id: userId, email, name: null, email_verified_at: now, password_hash: null, disabled_at: null, created_at: now, updated_at: now }).execute();
  await recordAudit(trx, now, { action: 'user.created', actorUserId: userId, targetType: 'user', targetId: userId, details: { via } });
  return { userId, isNewUser: true };
}
