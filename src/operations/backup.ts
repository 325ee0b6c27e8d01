import { spawn } from 'node:child_process';
import { existsSync, renameSync, rmSync } from 'node:fs';
import SqliteDatabase from 'better-sqlite3';
import type { DatabaseTarget } from '../config.js';

/**
 * Backups of the whole database, taken while the servers run:
 * - SQLite: SQLite's online backup API (a consistent copy of the file, pages copied under its locks);
 * - PostgreSQL: `pg_dump --format=custom` (one consistent snapshot), restored with `pg_restore`.
 * A backup is written to `<file>.partial` and renamed when complete, so `<file>` is never half a backup.
 */
export class BackupError extends Error {}

export async function backupDatabase(target: DatabaseTarget, file: string): Promise<void> {
  if (existsSync(file)) throw new BackupError(`${file} exists; give a new file name (a backup never overwrites one).`);
  const partial = `${file}.partial`;
  rmSync(partial, { force: true });
  try {
    if (target.kind === 'sqlite') {
      const source = new SqliteDatabase(target.path, { readonly: true, fileMustExist: true });
      try {
        await source.backup(partial);
      } finally {
        source.close();
      }
    } else {
      await run('pg_dump', ['--format=custom', '--no-owner', '--no-privileges', `--file=${partial}`, `--dbname=${target.url}`]);
    }
    renameSync(partial, file);
  } catch (error) {
    rmSync(partial, { force: true });
    throw error;
  }
}

/**
 * Replaces the database's content with the backup's. The servers must be stopped: they hold caches
 * (keys, balances, the key filter) of what was there before.
 */
export async function restoreDatabase(target: DatabaseTarget, file: string): Promise<void> {
  if (!existsSync(file)) throw new BackupError(`${file} does not exist.`);
  if (target.kind === 'sqlite') {
    let source: SqliteDatabase.Database;
    try {
      source = new SqliteDatabase(file, { readonly: true, fileMustExist: true });
      source.prepare('select count(*) from kysely_migration').get();
    } catch {
      throw new BackupError(`${file} is not a FuncSpec SQLite backup.`);
    }
    try {
      // The backup API writes every page of the destination under its locks: the result is exactly the backup.
      await source.backup(target.path);
    } finally {
      source.close();
    }
    return;
  }
  await run('pg_restore', ['--list', file]).catch(() => {
    throw new BackupError(`${file} is not a pg_dump custom-format backup.`);
  });
  // --clean --if-exists: the backup's tables replace those of the same name; one transaction: all or nothing.
  await run('pg_restore', [
    '--clean',
    '--if-exists',
    '--no-owner',
    '--no-privileges',
    '--single-transaction',
    '--exit-on-error',
    `--dbname=${target.url}`,
    file,
  ]);
}

function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', (error) =>
      reject(new BackupError(`${command} could not run (${error.message}); install PostgreSQL's client tools (Debian: postgresql-client).`)),
    );
    child.on('close', (code) => (code === 0 ? resolve() : reject(new BackupError(`${command} failed: ${stderr.trim().split('\n').slice(-3).join(' ')}`))));
  });
}
