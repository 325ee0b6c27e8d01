import { createHash } from 'node:crypto';
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';

/**
 * A digest of everything the database holds, minus what a refused request is documented to change:
 * attempt counters that guard secrets (they count refused guesses), the audit trail of refused
 * attempts, activity stamps, and usage counts (which count refused requests too).
 */
const IGNORED: Record<string, string[] | 'table'> = {
  api_key_usage: 'table',
  kysely_migration: 'table',
  kysely_migration_lock: 'table',
  sessions: ['last_seen_at'],
  api_keys: ['last_used_at', 'last_used_ip'],
  agent_otps: ['attempts'],
  login_challenges: ['attempts'],
  device_codes: ['last_polled_at', 'interval_ms'],
};

export interface StateDigest {
  /** One hash per table (so a difference names the table). */
  read(): Promise<Record<string, string>>;
  close(): Promise<void>;
}

function digestRows(table: string, rows: Array<Record<string, unknown>>): string | null {
  const ignored = IGNORED[table];
  if (ignored === 'table') return null;
  if (table === 'audit_log') rows = rows.filter((row) => row.outcome !== 'failure');
  const hash = createHash('sha256');
  const lines = rows.map((row) =>
    JSON.stringify(
      Object.entries(row)
        .filter(([column]) => !ignored?.includes(column))
        .map(([, value]) => (typeof value === 'bigint' ? Number(value) : value)),
    ),
  );
  for (const line of lines.sort()) hash.update(line);
  return `${rows.length}:${hash.digest('hex').slice(0, 16)}`;
}

export async function openStateDigest(databaseUrl: string): Promise<StateDigest> {
  if (databaseUrl.startsWith('sqlite:')) {
    const sqlite = new SqliteDatabase(databaseUrl.slice('sqlite:'.length), { readonly: true });
    const tables = (sqlite.prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%'").pluck().all() as string[]).sort();
    const reads = tables.map((table) => [table, sqlite.prepare(`select * from "${table}"`)] as const);
    return {
      async read() {
        const out: Record<string, string> = {};
        for (const [table, statement] of reads) {
          const digest = digestRows(table, statement.all() as Array<Record<string, unknown>>);
          if (digest) out[table] = digest;
        }
        return out;
      },
      async close() {
        sqlite.close();
      },
    };
  }
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const tables = (
    await client.query("select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by 1")
  ).rows.map((r) => r.table_name as string);
  return {
    async read() {
      const out: Record<string, string> = {};
      for (const table of tables) {
        const digest = digestRows(table, (await client.query(`select * from "${table}"`)).rows);
        if (digest) out[table] = digest;
      }
      return out;
    },
    async close() {
      await client.end();
    },
  };
}
