import type { Executor } from '../db/index.js';

/**
 * The ids of the projects `refs` (ids or slugs) name in one organization, in the order given; the refs
 * that name none of its projects are in `unknown`.
 */
export async function projectIdsIn(db: Executor, orgId: string, refs: readonly string[]): Promise<{ ids: string[]; unknown: string[] }> {
  if (refs.length === 0) return { ids: [], unknown: [] };
  const rows = await db
    .selectFrom('projects')
    .select(['id', 'slug'])
    .where('org_id', '=', orgId)
    .where((eb) => eb.or([eb('id', 'in', refs), eb('slug', 'in', refs)]))
    .execute();
  const byRef = new Map(
    rows.flatMap(
      (row) =>
        [
          [row.id, row.id],
          [row.slug, row.id],
        ] as const,
    ),
  );
  const ids = [...new Set(refs.flatMap((ref) => byRef.get(ref) ?? []))];
  return { ids, unknown: refs.filter((ref) => !byRef.has(ref)) };
}
