import { recordAudit, type RequestOrigin } from '../audit/audit.js';
import { deliver } from '../mail/deliver.js';
import type { AppContext } from '../context.js';
import { announce } from '../stamps/stamps.js';
import { adminsOf } from '../access/orgs.js';
import { throttle } from '../ratelimit/throttles.js';
import { hashKey, isWellFormedKey } from './format.js';
import { leakedKeysMail, type KeyForMail } from './mails.js';

export interface LeakReport {
  /** Keys as found; anything that is not a well-formed key is ignored. */
  keys: string[];
  /** Where the reporter says the keys were found (kept in the audit log, never mailed: the reporter chose it). */
  source?: string;
  url?: string;
}

/**
 * A report of exposed keys, from anyone (after GitHub's secret-scanning partner flow): every live key in
 * it is revoked at once, the revocation is audited with where the report came from, and each key's owner
 * and its organization's admins are mailed. The caller answers the same whatever the keys were, so the
 * report tells the reporter nothing they did not know (holding a key, they could have tried it).
 */
export async function reportLeakedKeys(ctx: AppContext, report: LeakReport, origin: RequestOrigin): Promise<void> {
  await throttle(ctx, 'leak-report:ip', origin.ip);
  // The checksum drops typos and made-up strings before anything is looked up.
  const hashes = [...new Set(report.keys.map((key) => key.trim()).filter(isWellFormedKey))].map(hashKey);
  if (hashes.length === 0) return;
  let now = ctx.clock.now();
  const revoked = await ctx.db.transaction().execute(async (trx) => {
    // The reported keys' rows are locked first, and the time read after: a report that waited for another
    // one's revocation sees it as past (a time read before the wait could be earlier than that revocation,
    // which would look like a rotation's future end and revoke the key twice). SQLite runs one write
    // transaction at a time, so it needs no lock.
    if (ctx.dbKind === 'postgres') await trx.selectFrom('api_keys').select('id').where('key_hash', 'in', hashes).forUpdate().execute();
    now = ctx.clock.now();
    // One guarded statement: a key already revoked (or expired) is left as it is, and two reports of
    // the same key at once revoke and audit it once. A key in its rotation overlap dies now.
    const rows = await trx
      .updateTable('api_keys')
      .set({ revoked_at: now })
      .where('key_hash', 'in', hashes)
      .where((eb) => eb.or([eb('revoked_at', 'is', null), eb('revoked_at', '>', now)]))
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
      .returning(['id', 'org_id', 'user_id', 'name', 'last_four'])
      .execute();
    if (rows.length > 0) await announce(trx, 'auth'); // committed with the revocations: refused on the next request everywhere
    for (const key of rows) {
      await recordAudit(trx, now, {
        action: 'api_key.revoked',
        orgId: key.org_id,
        targetType: 'api_key',
        targetId: key.id,
        ip: origin.ip,
        userAgent: origin.userAgent,
        details: { name: key.name, last_four: key.last_four, reason: 'leak_report', reported: { source: report.source ?? null, url: report.url ?? null } },
      });
    }
    return rows;
  });
  if (revoked.length === 0) return;
  await mailLeakNotices(ctx, revoked, now, origin);
}

/** One mail per person: the owner of each revoked key and the admins of its organization. */
async function mailLeakNotices(
  ctx: AppContext,
  revoked: Array<{ org_id: string; user_id: string; name: string; last_four: string }>,
  at: number,
  origin: RequestOrigin,
): Promise<void> {
  const orgIds = [...new Set(revoked.map((key) => key.org_id))];
  const [orgs, owners, admins] = await Promise.all([
    ctx.db.selectFrom('organizations').select(['id', 'name']).where('id', 'in', orgIds).execute(),
    ctx.db
      .selectFrom('users')
      .select(['id', 'email'])
      .where('id', 'in', [...new Set(revoked.map((key) => key.user_id))])
      .where('disabled_at', 'is', null)
      .execute(),
    adminsOf(ctx.db, orgIds),
  ]);
  const orgName = new Map(orgs.map((org) => [org.id, org.name]));
  const ownerEmail = new Map(owners.map((user) => [user.id, user.email]));
  const byRecipient = new Map<string, KeyForMail[]>();
  for (const key of revoked) {
    const shown: KeyForMail = {
      name: key.name,
      lastFour: key.last_four,
      orgName: orgName.get(key.org_id) ?? '',
      ownerEmail: ownerEmail.get(key.user_id) ?? null,
    };
    const recipients = new Set([ownerEmail.get(key.user_id), ...admins.filter((admin) => admin.org_id === key.org_id).map((admin) => admin.email)]);
    for (const email of recipients) if (email) byRecipient.set(email, [...(byRecipient.get(email) ?? []), shown]);
  }
  for (const [email, keys] of byRecipient) deliver(ctx, leakedKeysMail(ctx, email, keys, at, origin));
}
