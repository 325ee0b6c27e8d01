import type { Kysely } from 'kysely';

// A verification link activates the sign-up's password only in the browser that signed up: the link
// row keeps the HMAC of a random value that sign-up left in that browser's cookie.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('email_tokens').addColumn('browser_hash', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('email_tokens').dropColumn('browser_hash').execute();
}
