import { byActor, type Actor } from '../audit/actor.js';
import { recordAudit } from '../audit/audit.js';
import type { AppContext } from '../context.js';
import { countRows, offsetOf, type Page } from '../db/paging.js';
import type { Executor } from '../db/index.js';
import type { OrganizationsTable } from '../orgs/tables.js';
import type { Stamps } from '../stamps/stamps.js';
import { BalanceCache, debitCredits, MonthlyAllowance, readBalance, toCredits, toMicros, type Balance } from './ledger.js';
import { requestsPerHour } from './plans.js';

type Org = Pick<OrganizationsTable, 'id' | 'plan' | 'rate_limit'>;

/** An organization's credits start at zero; its balance row is opened in the transaction that creates it. */
export async function openBalance(trx: Executor, orgId: string): Promise<void> {
  await trx.insertInto('credit_balances').values({ org_id: orgId, granted_micros: 0, used_micros: 0 }).execute();
}

/**
 * What the credit routes do, in one place: each reads or spends after the plan's monthly allowance was
 * granted (one MonthlyAllowance per process, so the hot path asks the database about it once a month).
 */
export class Credits {
  private readonly allowance = new MonthlyAllowance();
  private readonly balances: BalanceCache;

  constructor(private readonly ctx: AppContext) {
    this.balances = new BalanceCache(ctx.db);
  }

  /** The hot path (GET /credits/balance): cached under the request's stamps. */
  async balance(org: Org, stamps: Stamps): Promise<Balance> {
    const justGranted = await this.allowance.ensure(this.ctx.db, this.ctx.clock.now(), org);
    return this.balances.read(org.id, stamps, justGranted);
  }

  async billing(org: Org) {
    await this.allowance.ensure(this.ctx.db, this.ctx.clock.now(), org);
    return { plan: org.plan, rate_limit: { requests_per_hour: requestsPerHour(org) }, credits: await readBalance(this.ctx.db, org.id) };
  }

  async ledger(org: Org, page: Page) {
    await this.allowance.ensure(this.ctx.db, this.ctx.clock.now(), org);
    const entries = this.ctx.db.selectFrom('credit_ledger as l').where('l.org_id', '=', org.id);
    const [rows, total] = await Promise.all([
      entries
        .leftJoin('users as u', 'u.id', 'l.actor_user_id')
        .select(['l.id', 'l.kind', 'l.amount_micros', 'l.reason', 'l.actor_user_id', 'u.email', 'l.created_at'])
        .orderBy('l.created_at', 'desc')
        .orderBy('l.id', 'desc')
        .limit(page.per)
        .offset(offsetOf(page))
        .execute(),
      countRows(entries),
    ]);
    return { rows: rows.map((row) => ({ ...row, amount: toCredits(row.amount_micros) })), total };
  }

  /** Spends credits once per idempotency key, audited in the debit's transaction; answers with the balance after it. */
  async debit(org: Org, actor: Actor, input: { amount: number; reason: string; idempotencyKey: string }) {
    const now = this.ctx.clock.now();
    await this.allowance.ensure(this.ctx.db, now, org);
    const debited = await debitCredits(
      this.ctx.db,
      now,
      { orgId: org.id, micros: toMicros(input.amount), reason: input.reason, idempotencyKey: input.idempotencyKey, actorUserId: actor.userId },
      (trx, entry) =>
        recordAudit(trx, now, {
          action: 'credits.debited',
          orgId: org.id,
          targetType: 'credit_ledger',
          targetId: entry.id,
          ...byActor(actor),
          details: { amount: toCredits(entry.amount_micros), reason: entry.reason },
        }),
    );
    return { ...debited, balance: await readBalance(this.ctx.db, org.id) };
  }
}
