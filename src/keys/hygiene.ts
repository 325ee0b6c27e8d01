import { sql, type RawBuilder } from 'kysely';
import type { AppContext } from '../context.js';
import type { Mail } from '../mail/mailer.js';
import { adminsOf } from '../access/orgs.js';
import { expiryWarningMail, unusedKeysDigestMail, type UnusedKey } from './mails.js';

const DAY_MS = 86_400_000;
/** How long before its expiry a key's owner hears of it, and how often the unused-keys digest may come. */
export const WARN_BEFORE_MS = 7 * DAY_MS;
export const DIGEST_EVERY_MS = 7 * DAY_MS;
export const UNUSED_DAYS = 90;
/** Keys named in one digest mail (the rest are counted). */
const DIGEST_LIST_LIMIT = 50;
/** Work taken on in one pass; the next pass takes the rest. */
const BATCH = 500;

export interface HygieneResult {
  expiryWarnings: number;
  digests: number;
}

/**
 * Key hygiene mails, sent by every server process on a timer. Processes never send the same mail twice:
 * a mail is claimed by one guarded statement on its notices row before it is sent (and the claim is
 * given back if nothing could be sent, so the next pass tries again). Time comes from the context's
 * clock, so tests move it instead of waiting.
 */
export class KeyHygiene {
  private timer: NodeJS.Timeout | null = null;
  private pass: Promise<unknown> | null = null;

  constructor(private readonly ctx: AppContext) {}

  start(): void {
    this.timer = setInterval(() => {
      // A pass still running (a slow mail server) is not overlapped by the next.
      this.pass ??= this.runOnce()
        .catch((error: unknown) => this.ctx.log.error({ err: error }, 'key hygiene pass failed'))
        .finally(() => (this.pass = null));
    }, this.ctx.config.keyHygieneIntervalMs);
    this.timer.unref();
  }

  /** Stops the timer and waits for a pass in flight. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.pass;
  }

  /** One pass: the expiry warnings due, then the digests due. Resolves when their mails are sent. */
  async runOnce(): Promise<HygieneResult> {
    const now = this.ctx.clock.now();
    await this.ctx.usage.flush(); // "last used" as this process knows it
    return { expiryWarnings: await this.warnExpiring(now), digests: await this.sendDigests(now) };
  }

  /** Keys that end within a week and were made more than a week before their end: their owner is told once. */
  private async warnExpiring(now: number): Promise<number> {
    const due = await this.ctx.db
      .selectFrom('api_keys as k')
      .innerJoin('organizations as o', 'o.id', 'k.org_id')
      .innerJoin('users as u', 'u.id', 'k.user_id')
      .leftJoin('api_key_notices as n', (join) => join.onRef('n.key_id', '=', 'k.id').on('n.kind', '=', 'expiry'))
      .select(['k.id', 'k.name', 'k.last_four', 'k.expires_at', 'o.name as org_name', 'u.email'])
      .where('n.key_id', 'is', null)
      .where('k.revoked_at', 'is', null)
      .where('k.expires_at', '>', now)
      .where('k.expires_at', '<=', now + WARN_BEFORE_MS)
      // A key made to live less than a week is short-lived on purpose: no warning.
      .where('k.created_at', '<=', sql<number>`k.expires_at - ${WARN_BEFORE_MS}`)
      .where('o.key_expiry_mails', '=', 1)
      .where('u.disabled_at', 'is', null)
      .orderBy('k.expires_at')
      .limit(BATCH)
      .execute();
    let sent = 0;
    for (const key of due) {
      const claimed = await this.ctx.db
        .insertInto('api_key_notices')
        .values({ key_id: key.id, kind: 'expiry', sent_at: now })
        .onConflict((oc) => oc.columns(['key_id', 'kind']).doNothing())
        .returning('key_id')
        .executeTakeFirst();
      if (!claimed) continue; // another process has it
      const mail = expiryWarningMail(
        this.ctx,
        key.email,
        { name: key.name, lastFour: key.last_four, orgName: key.org_name, ownerEmail: key.email },
        key.expires_at!,
      );
      if (await this.send([mail])) sent += 1;
      else await this.ctx.db.deleteFrom('api_key_notices').where('key_id', '=', key.id).where('kind', '=', 'expiry').where('sent_at', '=', now).execute();
    }
    return sent;
  }

  /** Organizations with live keys unused for 90 days, not told in the last week: their owners and admins get one digest. */
  private async sendDigests(now: number): Promise<number> {
    const unusedSince = now - UNUSED_DAYS * DAY_MS;
    // Live keys of the organization (an id, or the outer query's `o.id`) that nobody used since `unusedSince`.
    const staleKeys = (orgId: string | RawBuilder<string>) =>
      this.ctx.db
        .selectFrom('api_keys as k')
        .where('k.org_id', '=', orgId)
        .where('k.revoked_at', 'is', null)
        .where((eb) => eb.or([eb('k.expires_at', 'is', null), eb('k.expires_at', '>', now)]))
        .where(sql<number>`coalesce(k.last_used_at, k.created_at)`, '<=', unusedSince);
    const due = await this.ctx.db
      .selectFrom('organizations as o')
      .leftJoin('org_key_digests as d', 'd.org_id', 'o.id')
      .select(['o.id', 'o.name', 'd.sent_at'])
      .where('o.unused_keys_digest', '=', 1)
      .where((eb) => eb.or([eb('d.sent_at', 'is', null), eb('d.sent_at', '<=', now - DIGEST_EVERY_MS)]))
      .where((eb) => eb.exists(staleKeys(sql.ref<string>('o.id')).select('k.id')))
      .orderBy('o.id')
      .limit(BATCH)
      .execute();
    let sent = 0;
    for (const org of due) {
      if (!(await this.claimDigest(org.id, now))) continue;
      const [keys, counted, admins] = await Promise.all([
        staleKeys(org.id)
          .innerJoin('users as u', 'u.id', 'k.user_id')
          .select(['k.name', 'k.last_four', 'k.last_used_at', 'k.created_at', 'u.email'])
          .orderBy(sql`coalesce(k.last_used_at, k.created_at)`)
          .orderBy('k.id')
          .limit(DIGEST_LIST_LIMIT)
          .execute(),
        staleKeys(org.id)
          .select((eb) => eb.fn.countAll<number>().as('total'))
          .executeTakeFirstOrThrow(),
        adminsOf(this.ctx.db, [org.id]),
      ]);
      const listed: UnusedKey[] = keys.map((key) => ({
        name: key.name,
        lastFour: key.last_four,
        orgName: org.name,
        ownerEmail: key.email,
        lastUsedAt: key.last_used_at,
        createdAt: key.created_at,
      }));
      const mails = admins.map((admin) => unusedKeysDigestMail(this.ctx, admin.email, org.name, listed, Number(counted.total), UNUSED_DAYS));
      if (keys.length > 0 && (await this.send(mails))) sent += 1;
      else await this.releaseDigest(org.id, now, org.sent_at);
    }
    return sent;
  }

  /** Takes this week's digest of the organization: one statement, so of several processes one wins. */
  private async claimDigest(orgId: string, now: number): Promise<boolean> {
    const claimed = await this.ctx.db
      .insertInto('org_key_digests')
      .values({ org_id: orgId, sent_at: now })
      .onConflict((oc) =>
        oc
          .column('org_id')
          .doUpdateSet({ sent_at: now })
          .where('org_key_digests.sent_at', '<=', now - DIGEST_EVERY_MS),
      )
      .returning('org_id')
      .executeTakeFirst();
    return claimed !== undefined;
  }

  /** Gives a claimed digest back (nothing could be sent), so the next pass tries again. */
  private async releaseDigest(orgId: string, claimedAt: number, before: number | null): Promise<void> {
    if (before === null) await this.ctx.db.deleteFrom('org_key_digests').where('org_id', '=', orgId).where('sent_at', '=', claimedAt).execute();
    else await this.ctx.db.updateTable('org_key_digests').set({ sent_at: before }).where('org_id', '=', orgId).where('sent_at', '=', claimedAt).execute();
  }

  /** Sends each mail; true when at least one went out (a claim is kept once anyone was told). */
  private async send(mails: Mail[]): Promise<boolean> {
    let delivered = 0;
    for (const mail of mails) {
      try {
        await this.ctx.mailer.send(mail);
        delivered += 1;
      } catch (error) {
        this.ctx.log.error({ err: error, subject: mail.subject }, 'key hygiene mail failed');
      }
    }
    return delivered > 0;
  }
}
