import { z } from 'zod';
import { ProblemSchema } from './errors.js';

/** Error responses a route documents, by status. */
export function problems(...statuses: number[]): Record<number, typeof ProblemSchema> {
  return Object.fromEntries(statuses.map((status) => [status, ProblemSchema]));
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
