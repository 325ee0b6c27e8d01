import { sql } from 'kysely';
import type { Executor } from '../db/index.js';
import { countRows, offsetOf, type Page } from '../db/paging.js';
import { normalizeEmail } from '../lib/email.js';
import type { Outcome } from './tables.js';

export interface AuditFilter {
  /** A user id or an e-mail address. */
  actor?: string;
  /** An action, or a prefix ending in `*` (`api_key.*`). */
  action?: string;
  outcome?: Outcome;
  from?: number;
  to?: number;
}

/** An organization's audit entries matching `filter`, newest first, with the actor's current e-mail. */
export async function listAuditEntries(db: Executor, orgId: string, filter: AuditFilter, page: Page) {
  let query = db.selectFrom('audit_log as a').leftJoin('users as u', 'u.id', 'a.actor_user_id').where('a.org_id', '=', orgId);
  if (filter.actor) {
    const actor = filter.actor.includes('@') ? normalizeEmail(filter.actor) : filter.actor;
    query = query.where((eb) => eb.or([eb('a.actor_user_id', '=', actor), eb('u.email', '=', actor)]));
  }
  if (filter.action?.endsWith('*')) {
    const prefix = filter.action.slice(0, -1);
    query = query.where(sql<boolean>`substr(a.action, 1, ${prefix.length}) = ${prefix}`);
  } else if (filter.action) query = query.where('a.action', '=', filter.action);
  if (filter.outcome) query = query.where('a.outcome', '=', filter.outcome);
  if (filter.from !== undefined) query = query.where('a.created_at', '>=', filter.from);
  if (filter.to !== undefined) query = query.where('a.created_at', '<', filter.to);
  const [rows, total] = await Promise.all([
    query.selectAll('a').select('u.email').orderBy('a.created_at', 'desc').orderBy('a.id', 'desc').limit(page.per).offset(offsetOf(page)).execute(),
    countRows(query),
  ]);
  return { rows, total: Number(total) };
}
