import type { Kysely } from 'kysely';

// Requests per key per hour, by status class; written in batches by the usage recorder.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('api_key_usage')
    // No foreign key: usage of a key whose organization was deleted must not make a batch fail.
    .addColumn('key_id', 'text', (c) => c.notNull())
    .addColumn('org_id', 'text', (c) => c.notNull())
    .addColumn('hour_start', 'bigint', (c) => c.notNull())
    .addColumn('requests', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('status_2xx', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('status_3xx', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('status_4xx', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('status_5xx', 'bigint', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('api_key_usage_pk', ['key_id', 'hour_start'])
    .execute();
  await db.schema.createIndex('api_key_usage_org_idx').on('api_key_usage').columns(['org_id', 'hour_start']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('api_key_usage').execute();
}
