import type { Kysely } from 'kysely';

// The stamps that processes cache under (see stamps/stamps.ts): one row each, changed by the very
// transaction that changes what is cached, so a change and its announcement commit together.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('cache_stamps')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .execute();
  await (db as Kysely<{ cache_stamps: { name: string; value: string } }>)
    .insertInto('cache_stamps')
    .values(['auth', 'key_set', 'credits'].map((name) => ({ name, value: 'initial' })))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('cache_stamps').execute();
}
