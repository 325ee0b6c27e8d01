import type { Executor } from '../db/index.js';
import { newId } from '../lib/random.js';
import type { Outcome } from './tables.js';

export interface AuditEntry {
  action: string;
  orgId?: string | null;
  actorUserId?: string | null;
  actorKeyId?: string | null;
  targetType?: string | null;
  targetId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  outcome?: Outcome;
  /** Context for humans reading the log; never a secret (keys, codes, tokens, passwords). */
  details?: Record<string, unknown>;
}

/** Where a request came from, for the audit log. */
export interface RequestOrigin {
  ip: string;
  userAgent: string | null;
}

/** Writes one audit entry; pass the transaction of the change it records so both land or neither. */
export async function recordAudit(db: Executor, now: number, entry: AuditEntry): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({
      id: newId('aud'),
      org_id: entry.orgId ?? null,
      actor_user_id: entry.actorUserId ?? null,
      actor_key_id: entry.actorKeyId ?? null,
      action: entry.action,
      target_type: entry.targetType ?? null,
      target_id: entry.targetId ?? null,
      ip: entry.ip ?? null,
      user_agent: entry.userAgent?.slice(0, 512) ?? null,
      outcome: entry.outcome ?? 'success',
      details: entry.details ? JSON.stringify(entry.details) : null,
      created_at: now,
    })
    .execute();
}

/** A refused attempt: what was tried, by whom (when known), from where, and why it was refused. */
export async function recordRefusal(db: Executor, now: number, action: string, userId: string | null, origin: RequestOrigin, reason: string): Promise<void> {
  await recordAudit(db, now, { action, outcome: 'failure', actorUserId: userId, ip: origin.ip, userAgent: origin.userAgent, details: { reason } });
}
