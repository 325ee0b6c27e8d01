import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import type SqliteDatabase from 'better-sqlite3';
import { Kysely, Migrator, PostgresAdapter, PostgresDialect, SqliteDialect, sql, type Transaction } from 'kysely';
import type pg from 'pg';
import type { DatabaseTarget } from '../config.js';
import { migrations } from './migrations/index.js';
import { isDatabaseUnavailable } from './unavailable.js';
import type { Database } from './schema.js';

export type Db = Kysely<Database>;
export type Trx = Transaction<Database>;
/** Either the database or a transaction on it: code that may run inside a caller's transaction takes this. */
export type Executor = Db | Trx;

export interface Store {
  db: Db;
  kind: DatabaseTarget['kind'];
  /** PostgreSQL only: the connection pool's state now (for metrics). */
  poolStats: (() => PoolStats) | null;
  close(): Promise<void>;
}

export interface PoolStats {
  total: number;
  idle: number;
  /** Queries waiting for a free connection. */
  waiting: number;
}

export const DB_CONNECT_TIMEOUT_MS = 5_000;
export const DB_STATEMENT_TIMEOUT_MS = 10_000;

// Each driver is loaded only for its database: a process holds one, not both.
const require = createRequire(import.meta.url);

// bigint columns (epoch ms, micro-credits) fit in a JS number; read them as numbers, not strings.
const PG_INT8 = 20;
function pgTypes(driver: typeof pg) {
  return {
    getTypeParser: (oid: number, format?: 'text' | 'binary') =>
      oid === PG_INT8 ? (value: string) => Number(value) : driver.types.getTypeParser(oid, format as 'text'),
  };
}

export function openStore(target: DatabaseTarget): Store {
  if (target.kind === 'sqlite') {
    if (target.path !== ':memory:') mkdirSync(path.dirname(target.path), { recursive: true });
    const Sqlite = require('better-sqlite3') as typeof SqliteDatabase;
    const sqlite = new Sqlite(target.path);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL'); // durable against process crashes; WAL + NORMAL is SQLite's recommendation
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('busy_timeout = 5000');
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
    return { db, kind: 'sqlite', poolStats: null, close: () => db.destroy() };
  }
  const driver = require('pg') as typeof pg;
  const pool = new driver.Pool({
    connectionString: target.url,
    max: 20,
    types: pgTypes(driver) as pg.CustomTypesConfig,
    // No request waits on PostgreSQL forever: a connection (or a free pool slot) within 5 s, a statement
    // within 10 s, else the request is answered 503 and the client retries.
    connectionTimeoutMillis: DB_CONNECT_TIMEOUT_MS,
    statement_timeout: DB_STATEMENT_TIMEOUT_MS,
    keepAlive: true,
  });
  // An idle client that errors (e.g. the server restarts) must not crash the process.
  pool.on('error', () => {});
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const poolStats = () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount });
  return { db, kind: 'postgres', poolStats, close: () => db.destroy() };
}

/**
 * Kysely prepares every query afresh; the same few SQL texts repeat on the hot path, so keep their
 * prepared statements (bounded, oldest dropped first). Safe because statements are used one at a time.
 */
function withStatementCache(sqlite: SqliteDatabase.Database, max = 500): SqliteDatabase.Database {
  const statements = new Map<string, SqliteDatabase.Statement>();
  return new Proxy(sqlite, {
    get(target, property, receiver) {
      if (property !== 'prepare') return Reflect.get(target, property, receiver);
      return (text: string) => {
        let statement = statements.get(text);
        if (!statement) {
          statement = target.prepare(text);
          if (statements.size >= max) statements.delete(statements.keys().next().value!);
          statements.set(text, statement);
        }
        return statement;
      };
    },
  });
}

/**
 * Brings the schema up to date; safe to run from several processes at once. PostgreSQL serialises them
 * with an advisory lock. SQLite has no such lock: a process that lost the race to the file's write lock
 * (busy) or to the bookkeeping tables or a migration's own DDL (already exists, duplicate column) tries again and then finds the work done.
 */
export async function migrateToLatest(db: Db): Promise<string[]> {
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    // Requests get a statement timeout; a migration (an index on a large table) may need longer.
    return db.connection().execute(async (connection) => {
      await sql`set statement_timeout = 0`.execute(connection);
      try {
        return await migrateWith(connection);
      } finally {
        await sql`reset statement_timeout`.execute(connection);
      }
    });
  }
  return migrateWith(db);
}

async function migrateWith(db: Db): Promise<string[]> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  for (let attempt = 1; ; attempt++) {
    const { error, results } = await migrator.migrateToLatest();
    if (!error) return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
    if (attempt >= 10 || !lostMigrationRace(error)) throw error instanceof Error ? error : new Error(String(error));
    await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
  }
}

function lostMigrationRace(error: unknown): boolean {
  const message = String((error as Error | null)?.message ?? '');
  // `duplicate column name`: the other process added the column of the same ALTER TABLE first.
  return isDatabaseUnavailable(error) || isUniqueViolation(error) || /already exists|duplicate column name/.test(message);
}

export async function ping(db: Db): Promise<void> {
  await sql`select 1`.execute(db);
}

/** True when `error` is a unique-constraint violation (SQLite or PostgreSQL). */
export function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string } | null;
  return e?.code === '23505' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
