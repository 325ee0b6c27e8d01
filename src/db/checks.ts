import { sql, type RawBuilder } from 'kysely';

/**
 * A CHECK that a text column holds one of `values` (an `as const` list the schemas and types come from
 * too). A migration runs once: a value added to a list later needs a migration of its own.
 */
export function oneOf(column: string, values: readonly string[]): RawBuilder<unknown> {
  return sql`${sql.ref(column)} in (${sql.join(values.map((value) => sql.lit(value)))})`;
}
