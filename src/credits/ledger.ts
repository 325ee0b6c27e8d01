import { sql } from 'kysely';
import type { Db, Executor } from '../db/index.js';
import { isUniqueViolation } from '../db/index.js';
import { LRUCache } from 'lru-cache';
import { compiledOnce } from '../db/compiled.js';
import { announce, type Stamps } from '../stamps/stamps.js';
import { ApiError } from '../http/errors.js';
import { newId } from '../lib/random.js';
import { PLANS } from './plans.js';
import type { Plan } from '../orgs/tables.js';
import { CreditErrors } from './errors.js';
import type { CreditLedgerTable } from './tables.js';

const MICROS = 1_000_000;

export const toMicros = (credits: number): number => Math.round(credits * MICROS);
export const toCredits = (micros: number): number => micros / MICROS;

export interface Balance {
  total_credits: number;
  credits_used: number;
  credits_left: number;
}

function balanceQuery(db: Executor, orgId: string) {
  return db.selectFrom('credit_balances').select(['granted_micros', 'used_micros']).where('org_id', '=', orgId);
}

function toBalance(row: { granted_micros: number; used_micros: number } | undefined): Balance {
  const granted = row?.granted_micros ?? 0;
  const used = row?.used_micros ?? 0;
  return { total_credits: toCredits(granted), credits_used: toCredits(used), credits_left: toCredits(granted - used) };
}

export async function readBalance(db: Executor, orgId: string): Promise<Balance> {
  return toBalance(await balanceQuery(db, orgId).executeTakeFirst());
}

/**
 * readBalance for the hot path (GET /credits/balance): cached per organization while the `credits` stamp
 * stands still. Every grant and debit, in any process, replaces the stamp in its own transaction, and the
 * stamps a request brings were read after it arrived, so a cached balance is never older than the last
 * change committed before the request.
 */
export class BalanceCache {
  private readonly cached = new LRUCache<string, { stamp: string; balance: Balance }>({ max: 10_000 });
  private readonly query: (orgId: string) => Promise<Balance>;

  constructor(db: Db) {
    const run = compiledOnce(db, (orgId: string) => balanceQuery(db, orgId));
    this.query = async (orgId) => toBalance((await run(orgId))[0]);
  }

  /** `fresh`: skip the cache (the caller just changed the balance, after its stamps were read). */
  async read(orgId: string, stamps: Stamps, fresh = false): Promise<Balance> {
    const hit = fresh ? undefined : this.cached.get(orgId);
    if (hit?.stamp === stamps.credits) return hit.balance;
    const balance = await this.query(orgId);
    this.cached.set(orgId, { stamp: stamps.credits, balance });
    return balance;
  }
}

/**
 * Adds credits. With an idempotency key, a second grant under the same key does nothing
 * (the ledger's unique constraint decides, so concurrent callers cannot grant twice).
 * `record` (the audit entry) runs in the grant's transaction.
 */
export async function grantCredits(
  db: Db,
  now: number,
  input: { orgId: string; micros: number; reason: string | null; idempotencyKey?: string | null; actorUserId?: string | null },
  record?: (trx: Executor) => Promise<void>,
): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const inserted = await trx
      .insertInto('credit_ledger')
      .values({
        id: newId('crd'),
        org_id: input.orgId,
        kind: 'grant',
        amount_micros: input.micros,
        reason: input.reason,
        idempotency_key: input.idempotencyKey ?? null,
        actor_user_id: input.actorUserId ?? null,
        created_at: now,
      })
      .onConflict((oc) => oc.columns(['org_id', 'kind', 'idempotency_key']).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!inserted) return false;
    await trx
      .updateTable('credit_balances')
      .set((eb) => ({ granted_micros: eb('granted_micros', '+', input.micros) }))
      .where('org_id', '=', input.orgId)
      .execute();
    await record?.(trx);
    await announce(trx, 'credits');
    return true;
  });
}

/** The calendar month (UTC) a moment falls in, e.g. `2026-12`. */
export function monthOf(now: number): string {
  return new Date(now).toISOString().slice(0, 7);
}

/**
 * Each plan includes credits every calendar month; they are granted lazily, once per organization,
 * plan and month (idempotency key `allowance:<plan>:<month>`), the first time the balance is touched.
 * Unused credits carry over. `granted` remembers what this process already ensured, so the hot path
 * costs no query after the first.
 */
export class MonthlyAllowance {
  /** `org:plan` → the end of the month its allowance is known to be granted for. */
  private readonly grantedUntil = new Map<string, number>();

  /** True when it had to look (and may have granted): a balance read after it must not come from a cache. */
  async ensure(db: Db, now: number, org: { id: string; plan: Plan }): Promise<boolean> {
    const memo = `${org.id}:${org.plan}`;
    if ((this.grantedUntil.get(memo) ?? 0) > now) return false;
    const month = monthOf(now);
    const credits = PLANS[org.plan].monthlyCredits;
    if (credits > 0) {
      await grantCredits(db, now, {
        orgId: org.id,
        micros: toMicros(credits),
        reason: `${org.plan} plan allowance for ${month}`,
        idempotencyKey: `allowance:${org.plan}:${month}`,
      });
    }
    if (this.grantedUntil.size > 100_000) this.grantedUntil.clear(); // bounded memory; worst case one extra no-op insert
    const start = new Date(now);
    this.grantedUntil.set(memo, Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1));
    return true;
  }
}

export interface DebitInput {
  orgId: string;
  micros: number;
  reason: string;
  idempotencyKey: string;
  actorUserId: string;
}

export interface DebitResult {
  entry: CreditLedgerTable;
  /** True when this idempotency key had already debited: nothing changed this time. */
  replayed: boolean;
}

/**
 * Takes credits away, never below zero: the balance row is decremented by a guarded UPDATE in the same
 * transaction as the ledger row, so concurrent debits cannot overdraw and one idempotency key debits once.
 * `record` (the audit entry) runs in that transaction too: no debit without it, and none of it without the debit.
 */
export async function debitCredits(
  db: Db,
  now: number,
  input: DebitInput,
  record?: (trx: Executor, entry: CreditLedgerTable) => Promise<void>,
): Promise<DebitResult> {
  const previous = await findDebit(db, input.orgId, input.idempotencyKey);
  if (previous) return replay(previous, input);
  try {
    const entry = await db.transaction().execute(async (trx) => {
      const updated = await trx
        .updateTable('credit_balances')
        .set((eb) => ({ used_micros: eb('used_micros', '+', input.micros) }))
        .where('org_id', '=', input.orgId)
        .where(sql<boolean>`granted_micros - used_micros >= ${input.micros}`)
        .returning('org_id')
        .executeTakeFirst();
      if (!updated) throw CreditErrors.INSUFFICIENT_CREDITS();
      const row: CreditLedgerTable = {
        id: newId('crd'),
        org_id: input.orgId,
        kind: 'debit',
        amount_micros: input.micros,
        reason: input.reason,
        idempotency_key: input.idempotencyKey,
        actor_user_id: input.actorUserId,
        created_at: now,
      };
      await trx.insertInto('credit_ledger').values(row).execute();
      await record?.(trx, row);
      await announce(trx, 'credits');
      return row;
    });
    return { entry, replayed: false };
  } catch (error) {
    // A concurrent request with the same key committed first: ours rolled back (on the unique key, or on
    // the balance that debit used up); answer as a replay.
    if (!isUniqueViolation(error) && !(error instanceof ApiError && error.code === CreditErrors.INSUFFICIENT_CREDITS.code)) throw error;
    const winner = await findDebit(db, input.orgId, input.idempotencyKey);
    if (!winner) throw error;
    return replay(winner, input);
  }
}

async function findDebit(db: Db, orgId: string, key: string): Promise<CreditLedgerTable | undefined> {
  return db
    .selectFrom('credit_ledger')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('kind', '=', 'debit')
    .where('idempotency_key', '=', key)
    .executeTakeFirst();
}

function replay(previous: CreditLedgerTable, input: DebitInput): DebitResult {
  if (previous.amount_micros !== input.micros || previous.reason !== input.reason) {
    throw CreditErrors.IDEMPOTENCY_CONFLICT({ idempotency_key: input.idempotencyKey });
  }
  return { entry: previous, replayed: true };
}
