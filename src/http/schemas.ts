import { z } from 'zod';
import type { RosterRow } from '../db/paging.js';
import { isoTime } from '../lib/time.js';
import { ProblemSchema } from './errors.js';

const PROBLEM_DESCRIPTIONS: Record<number, string> = {
  400: 'Bad request (see error_code)',
  401: 'Not authenticated',
  402: 'Payment required',
  403: 'Not allowed',
  404: 'Not found (or not yours)',
  409: 'Conflict',
  412: 'Precondition failed',
  413: 'Body too large',
  415: 'Unsupported media type',
  422: 'Validation failed (details.fields)',
  429: 'Rate limited (Retry-After)',
  503: 'Unavailable; retry',
};

/** Error responses a route documents, by status: the problem envelope as application/problem+json. */
export function problems(...statuses: number[]) {
  return Object.fromEntries(
    statuses.map((status) => [
      status,
      { description: PROBLEM_DESCRIPTIONS[status] ?? 'Error', content: { 'application/problem+json': { schema: ProblemSchema } } },
    ]),
  );
}

/** `{ data: … }` — the success envelope of §2. */
export function envelope<T extends z.ZodType>(data: T) {
  return z.object({ data });
}

/** `{ data: [...], meta: {total, page, per} }` — the list envelope of §2. */
export function listEnvelope<T extends z.ZodType>(item: T) {
  return z.object({ data: z.array(item), meta: z.object({ total: z.number().int(), page: z.number().int(), per: z.number().int() }) });
}

export const PaginationQuery = z.object({
  page: z.coerce.number().int().min(1).max(1_000_000).default(1),
  per: z.coerce.number().int().min(1).max(100).default(25),
});

export const Timestamp = z.string().meta({ format: 'date-time', example: '2026-03-15T14:32:11Z' });

/**
 * A one-line name or title: trimmed, 1 to `max` characters, no control characters (a newline or an
 * escape sequence in a name breaks tables, terminals and log lines that show it).
 */
export function singleLine(max: number) {
  return z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .regex(/^[^\p{Cc}]*$/u, 'must not contain control characters');
}

/** Free text (descriptions): line breaks and tabs, but no other control characters. */
export function multiLine(max: number) {
  return z
    .string()
    .max(max, `must be at most ${max} characters`)
    .regex(/^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F]*$/, 'must not contain control characters other than line breaks and tabs');
}

/** An organization named in a path or a query: its id or its slug. */
export const OrgRef = z.string().min(1).max(100).meta({ description: 'Organization id or slug' });
export const UserIdParam = z.string().min(1).max(100);
export const UserSummarySchema = z.object({ id: z.string(), email: z.string(), name: z.string().nullable() });

/** A person on a list with a role (an organization's members, a project's team), as the API shows them. */
export function rosterSchema<Role extends z.ZodType<string>>(role: Role, id: string) {
  return z.object({ user: UserSummarySchema, role, created_at: Timestamp }).meta({ id });
}

export function rosterView<Role extends string>(row: RosterRow<Role>) {
  return { user: { id: row.user_id, email: row.email, name: row.name }, role: row.role, created_at: isoTime(row.created_at) };
}
