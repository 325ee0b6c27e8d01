import type { Kysely } from 'kysely';

// Key hygiene mails: a warning a week before a key expires, a weekly digest of keys unused for 90 days.
// Each organization can turn either off. The notices tables are how several server processes agree
// that a mail was sent: a claim is a row inserted (or moved) by one guarded statement.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('organizations')
    .addColumn('key_expiry_mails', 'integer', (c) => c.notNull().defaultTo(1))
    .execute();
  await db.schema
    .alterTable('organizations')
    .addColumn('unused_keys_digest', 'integer', (c) => c.notNull().defaultTo(1))
    .execute();
  await db.schema
    .createTable('api_key_notices')
    .addColumn('key_id', 'text', (c) => c.notNull().references('api_keys.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('sent_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('api_key_notices_pk', ['key_id', 'kind'])
    .execute();
  await db.schema
    .createTable('org_key_digests')
    .addColumn('org_id', 'text', (c) => c.primaryKey().references('organizations.id').onDelete('cascade'))
    .addColumn('sent_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('api_keys_expires_at_idx').on('api_keys').column('expires_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('api_keys_expires_at_idx').execute();
  await db.schema.dropTable('org_key_digests').execute();
  await db.schema.dropTable('api_key_notices').execute();
  await db.schema.alterTable('organizations').dropColumn('unused_keys_digest').execute();
  await db.schema.alterTable('organizations').dropColumn('key_expiry_mails').execute();
}
