/** Fills the database with stored keys (random hashes) in the organization of a given key. */
import SqliteDatabase from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { loadConfig } from '../src/config.js';
import { openStore } from '../src/db/index.js';
import { hashKey } from '../src/keys/format.js';
import { newId } from '../src/lib/random.js';

export async function storeKeys(env: Record<string, string>, key: string, count: number): Promise<void> {
  const target = loadConfig(env).database;
  const store = openStore(target);
  const owner = await store.db.selectFrom('api_keys').select(['org_id', 'user_id']).where('key_hash', '=', hashKey(key)).executeTakeFirstOrThrow();
  const now = Date.now();
  if (target.kind === 'postgres') {
    // One statement: PostgreSQL makes the rows (and their random hashes) itself. It takes longer than the
    // statement timeout requests get, so it runs on one connection without it.
    await store.db.connection().execute(async (connection) => {
      await sql`set statement_timeout = 0`.execute(connection);
      await sql`
      insert into api_keys (id, org_id, user_id, name, kind, key_hash, last_four, sealed_key, allowed_ips, created_by, created_at, expires_at, revoked_at, last_used_at, last_used_ip)
      select 'key_bench' || g, ${owner.org_id}, ${owner.user_id}, 'bench', 'user', encode(sha256(convert_to(g::text || random()::text, 'UTF8')), 'hex'),
             'abcd', null, null, ${owner.user_id}, ${now}, null, null, null, null
      from generate_series(1, ${count}) as g`.execute(connection);
      await sql`analyze api_keys`.execute(connection);
      await sql`reset statement_timeout`.execute(connection);
    });
    await store.close();
    return;
  }
  await store.close();
  // One prepared insert in one transaction: a million rows in seconds.
  const sqlite = new SqliteDatabase(target.path);
  sqlite.pragma('cache_size = -262144'); // 256 MiB: the key_hash index of a million random hashes stays in memory while it grows
  const insert = sqlite.prepare(
    'insert into api_keys (id, org_id, user_id, name, kind, key_hash, last_four, sealed_key, allowed_ips, created_by, created_at, expires_at, revoked_at, last_used_at, last_used_ip) ' +
      "values (?, ?, ?, 'bench', 'user', ?, 'abcd', null, null, ?, ?, null, null, null, null)",
  );
  sqlite.transaction(() => {
    for (let i = 0; i < count; i++) insert.run(newId('key'), owner.org_id, owner.user_id, randomBytes(32).toString('hex'), owner.user_id, now);
  })();
  sqlite.close();
}
