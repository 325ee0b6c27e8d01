import type { Command } from 'commander';
import type { Config } from '../config.js';
import type { Store } from '../db/index.js';
import { PLAN_NAMES } from '../orgs/tables.js';
import type { Plan } from '../orgs/tables.js';

// The server and database modules load only when an operator command runs, so the user-facing
// commands of the same binary start fast.
const load = {
  audit: () => import('../audit/audit.js'),
  backup: () => import('../operations/backup.js'),
  config: () => import('../config.js'),
  ledger: () => import('../credits/ledger.js'),
  db: () => import('../db/index.js'),
  email: () => import('../lib/email.js'),
  epoch: () => import('../stamps/stamps.js'),
  orgs: () => import('../access/orgs.js'),
  server: () => import('../server.js'),
};

/** Raised for an operator mistake: printed as one line, exit code 2 (usage) or 4 (not found). */
export class OperatorError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

async function withStore<T>(run: (store: Store, config: Config) => Promise<T>): Promise<T> {
  const [{ loadConfig }, { openStore, migrateToLatest }] = await Promise.all([load.config(), load.db()]);
  const config = loadConfig();
  const store = openStore(config.database);
  try {
    await migrateToLatest(store.db);
    return await run(store, config);
  } finally {
    await store.close();
  }
}

async function orgOrFail(store: Store, ref: string) {
  const { findOrganization } = await load.orgs();
  const org = await findOrganization(store.db, ref);
  if (!org) throw new OperatorError(`No organization with id or slug "${ref}".`, 4);
  return org;
}

/** `serve`, `migrate` and `admin …`: they talk to DATABASE_URL directly, never over HTTP. */
export function registerOperatorCommands(program: Command): void {
  program
    .command('serve')
    .description('Run the server (settings from the environment; see README)')
    .action(async () => {
      const [{ loadConfig }, { startServer }] = await Promise.all([load.config(), load.server()]);
      const server = await startServer(loadConfig());
      server.ctx.log.info(`FuncSpec listening on ${server.url} (public URL ${server.ctx.config.publicUrl})`);
      // The one line a person starting the server needs, in plain words on a terminal; where stdout is a log
      // (a pipe, a process manager) it stays one JSON line like every other, so log shippers can read it.
      const open = `FuncSpec is running. Open ${server.ctx.config.publicUrl} in your browser to sign up or log in.`;
      if (process.stdout.isTTY) console.log(`\n${open}\n`);
      else server.ctx.log.info({ url: server.ctx.config.publicUrl }, open);
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        server.ctx.log.info(`${signal}: draining in-flight requests`);
        server.close().then(
          () => process.exit(0),
          (error: unknown) => {
            server.ctx.log.error({ err: error }, 'error while shutting down');
            process.exit(1);
          },
        );
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
    });

  program
    .command('migrate')
    .description('Bring the database schema up to date')
    .action(async () => {
      const [{ loadConfig }, { openStore, migrateToLatest }] = await Promise.all([load.config(), load.db()]);
      const config = loadConfig();
      const store = openStore(config.database);
      try {
        const done = await migrateToLatest(store.db);
        console.log(done.length ? `Applied: ${done.join(', ')}` : 'The database is up to date.');
      } finally {
        await store.close();
      }
    });

  const admin = program.command('admin').description('Operator commands on the database');
  admin
    .command('backup')
    .description('Write a backup of the whole database to FILE, while the servers run (SQLite: online backup; PostgreSQL: pg_dump custom format)')
    .argument('<file>', 'a new file')
    .action(async (file: string) => {
      const [{ loadConfig }, { backupDatabase, BackupError }] = await Promise.all([load.config(), load.backup()]);
      const config = loadConfig();
      await backupDatabase(config.database, file).catch((error: unknown) => {
        throw error instanceof BackupError ? new OperatorError(error.message, 1) : error;
      });
      console.log(`Backup of ${config.database.kind === 'sqlite' ? config.database.path : 'the PostgreSQL database'} written to ${file}.`);
    });
  admin
    .command('restore')
    .description('Replace the whole database with a backup (stop every server first; start them again after)')
    .argument('<file>', 'a file written by `funcspec admin backup`')
    .option('--yes', 'yes, replace what DATABASE_URL holds now')
    .action(async (file: string, options: { yes?: boolean }) => {
      if (!options.yes) throw new OperatorError('restore replaces everything DATABASE_URL holds: stop the servers, then run it again with --yes.', 2);
      const [{ loadConfig }, { openStore, migrateToLatest }, { restoreDatabase, BackupError }, { announce }] = await Promise.all([
        load.config(),
        load.db(),
        load.backup(),
        load.epoch(),
      ]);
      const config = loadConfig();
      await restoreDatabase(config.database, file).catch((error: unknown) => {
        throw error instanceof BackupError ? new OperatorError(error.message, 1) : error;
      });
      // A backup from an older version is brought up to this one's schema.
      const store = openStore(config.database);
      try {
        await migrateToLatest(store.db);
        // Any server still running drops what it cached from before the restore.
        await announce(store.db, 'auth', 'key_set', 'credits');
      } finally {
        await store.close();
      }
      console.log(`Restored ${file}. Start the servers.`);
    });

  const org = admin.command('org').description('Organizations');
  org
    .command('set-plan')
    .description("Set an organization's plan (and, on enterprise, its requests per hour per key)")
    .argument('<org>', 'organization id or slug')
    .argument('<plan>', PLAN_NAMES.join('|'))
    .option('--rate-limit <n>', 'requests per hour per key (enterprise only)')
    .action(async (ref: string, plan: string, options: { rateLimit?: string }) => {
      if (!PLAN_NAMES.includes(plan as Plan)) throw new OperatorError(`Unknown plan "${plan}"; use ${PLAN_NAMES.join(', ')}.`, 2);
      let rateLimit: number | null = null;
      if (options.rateLimit !== undefined) {
        if (plan !== 'enterprise') throw new OperatorError('--rate-limit applies to the enterprise plan only.', 2);
        if (!/^\d+$/.test(options.rateLimit) || Number(options.rateLimit) < 1) throw new OperatorError('--rate-limit must be a positive whole number.', 2);
        rateLimit = Number(options.rateLimit);
      }
      const [{ recordAudit }, { announce }] = await Promise.all([load.audit(), load.epoch()]);
      await withStore(async (store) => {
        const found = await orgOrFail(store, ref);
        const now = Date.now();
        await store.db.transaction().execute(async (trx) => {
          await trx
            .updateTable('organizations')
            .set({ plan: plan as Plan, rate_limit: rateLimit, updated_at: now })
            .where('id', '=', found.id)
            .execute();
          await announce(trx, 'auth'); // running servers re-read the key's limit on their next request
          await recordAudit(trx, now, {
            action: 'organization.plan_changed',
            orgId: found.id,
            targetType: 'organization',
            targetId: found.id,
            details: { from: found.plan, to: plan, rate_limit: rateLimit, by: 'operator' },
          });
        });
        console.log(`${found.slug}: plan ${plan}${rateLimit !== null ? `, ${rateLimit} requests/hour per key` : ''}`);
      });
    });

  admin
    .command('credits')
    .description('Credits')
    .command('grant')
    .description('Grant credits to an organization')
    .argument('<org>', 'organization id or slug')
    .argument('<amount>', 'credits (may be fractional, up to 6 decimals)')
    .option('--reason <text>', 'why (kept in the ledger)', 'operator grant')
    .action(async (ref: string, amount: string, options: { reason: string }) => {
      const value = Number(amount);
      if (!/^\d+(\.\d{1,6})?$/.test(amount) || !(value > 0)) throw new OperatorError('<amount> must be a positive number with at most 6 decimals.', 2);
      const [{ recordAudit }, { grantCredits, toMicros }] = await Promise.all([load.audit(), load.ledger()]);
      await withStore(async (store) => {
        const found = await orgOrFail(store, ref);
        const now = Date.now();
        await grantCredits(store.db, now, { orgId: found.id, micros: toMicros(value), reason: options.reason }, (trx) =>
          recordAudit(trx, now, {
            action: 'credits.granted',
            orgId: found.id,
            targetType: 'organization',
            targetId: found.id,
            details: { amount: value, reason: options.reason, by: 'operator' },
          }),
        );
        console.log(`Granted ${value} credits to ${found.slug}.`);
      });
    });

  admin
    .command('user')
    .description('Users')
    .command('disable')
    .description('Disable a user: their sessions and keys stop working at once')
    .argument('<email>')
    .action(async (email: string) => {
      const [{ recordAudit }, { normalizeEmail }, { announce }] = await Promise.all([load.audit(), load.email(), load.epoch()]);
      await withStore(async (store) => {
        const now = Date.now();
        await store.db.transaction().execute(async (trx) => {
          const updated = await trx
            .updateTable('users')
            .set({ disabled_at: now, updated_at: now })
            .where('email', '=', normalizeEmail(email))
            .returning('id')
            .executeTakeFirst();
          if (!updated) throw new OperatorError(`No user with e-mail ${email}.`, 4);
          await announce(trx, 'auth'); // their keys stop working on the next request at every server
          await recordAudit(trx, now, { action: 'user.disabled', targetType: 'user', targetId: updated.id, details: { by: 'operator' } });
        });
        console.log(`Disabled ${normalizeEmail(email)}.`);
      });
    });
}
