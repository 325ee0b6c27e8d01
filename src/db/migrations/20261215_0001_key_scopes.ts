import type { Kysely } from 'kysely';

// Scoped keys (§9): what a key may do (`scopes`, JSON array; `["*"]` = everything its owner may do) and
// which projects it reaches (`project_ids`, JSON array of project ids; null = every project of its
// organization). Existing keys keep doing everything they did.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('api_keys')
    .addColumn('scopes', 'text', (c) => c.notNull().defaultTo('["*"]'))
    .execute();
  await db.schema.alterTable('api_keys').addColumn('project_ids', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('api_keys').dropColumn('project_ids').execute();
  await db.schema.alterTable('api_keys').dropColumn('scopes').execute();
}
