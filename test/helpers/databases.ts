import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { randomBase62 } from '../../src/lib/random.js';

/** A fresh, empty database for one test server: a temp SQLite file, or a new PostgreSQL database when DATABASE_URL says postgres. */
export interface TestDatabase {
  url: string;
  dataDir: string;
  drop(): Promise<void>;
}

export const usingPostgres = (process.env.DATABASE_URL ?? '').startsWith('postgres');

/** `base`: the PostgreSQL server to make the database on (default DATABASE_URL; none: SQLite). */
export async function freshDatabase(base: string | undefined = usingPostgres ? process.env.DATABASE_URL : undefined): Promise<TestDatabase> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'funcspec-test-'));
  if (!base?.startsWith('postgres')) {
    return { url: `sqlite:${path.join(dataDir, 'funcspec.db')}`, dataDir, drop: async () => rmSync(dataDir, { recursive: true, force: true }) };
  }
  const name = `funcspec_test_${randomBase62(12).toLowerCase()}`;
  const admin = new URL(base);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  await client.query(`create database ${name}`);
  await client.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    dataDir,
    async drop() {
      const c = new pg.Client({ connectionString: admin.toString() });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
