import { sql, type SelectQueryBuilder } from 'kysely';

/** Which page of a list: `page` counts from 1, `per` rows each. */
export interface Page {
  page: number;
  per: number;
}

export const offsetOf = (page: Page): number => (page.page - 1) * page.per;

/** How many rows a list's filtered query matches (its columns and order, if any, are dropped; give it no limit). */
export async function countRows<DB, TB extends keyof DB, O>(query: SelectQueryBuilder<DB, TB, O>): Promise<number> {
  const row = await query
    .clearSelect()
    .clearOrderBy()
    .select(sql<number | string>`count(*)`.as('n'))
    .$castTo<{ n: number | string }>() // the row type Kysely cannot work out for a generic query
    .executeTakeFirstOrThrow();
  return Number(row.n); // (PostgreSQL's count is a bigint)
}

/** One page of an ordered list, and how many rows the whole list has. */
export async function pageOf<DB, TB extends keyof DB, O>(query: SelectQueryBuilder<DB, TB, O>, page: Page): Promise<{ rows: O[]; total: number }> {
  const [rows, total] = await Promise.all([query.limit(page.per).offset(offsetOf(page)).execute(), countRows(query)]);
  return { rows: rows as O[], total };
}

/** A person on a list with a role (an organization's members, a project's team). */
export interface RosterRow<Role> {
  user_id: string;
  email: string;
  name: string | null;
  role: Role;
  created_at: number;
}
