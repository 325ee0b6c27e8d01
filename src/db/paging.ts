import { sql, type SelectQueryBuilder } from 'kysely';

/** Which page of a list: `page` counts from 1, `per` rows each. */
export interface Page {
  page: number;
  per: number;
}

export const offsetOf = (page: Page): number => (page.page - 1) * page.per;

/** How many rows a list's filtered query matches (its columns, if any, are dropped; give it no order or limit). */
export async function countRows<DB, TB extends keyof DB, O>(query: SelectQueryBuilder<DB, TB, O>): Promise<number> {
  const row = await query
    .clearSelect()
    .select(sql<number | string>`count(*)`.as('n'))
    .$castTo<{ n: number | string }>() // the row type Kysely cannot work out for a generic query
    .executeTakeFirstOrThrow();
  return Number(row.n); // (PostgreSQL's count is a bigint)
}
