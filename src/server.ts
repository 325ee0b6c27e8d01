import type { Config } from './config.js';
import { buildApp } from './app.js';
import { createContext, type AppContext, type ContextOptions } from './context.js';
import { migrateToLatest } from './db/index.js';
import type { Api } from './http/types.js';
import { KeyHygiene } from './keys/hygiene.js';

export interface RunningServer {
  app: Api;
  ctx: AppContext;
  url: string;
  /** The key hygiene mails' timer; `runOnce()` runs a pass now. */
  keyHygiene: KeyHygiene;
  /** Stops accepting, lets in-flight requests finish, then closes the database and Redis. */
  close(): Promise<void>;
}

/** Context → migrations → app → listen. Used by `funcspec serve` and by the tests. */
export async function startServer(config: Config, options: ContextOptions = {}): Promise<RunningServer> {
  const ctx = await createContext(config, options);
  try {
    const applied = await migrateToLatest(ctx.db);
    if (applied.length > 0) ctx.log.info({ migrations: applied }, 'database migrated');
    if (!config.smtpUrl) {
      ctx.log.warn(
        config.devOutboxHttp
          ? 'SMTP_URL is unset: mail goes to the dev outbox (the log, the data dir, and GET /dev/outbox from this machine only)'
          : 'SMTP_URL is unset: mail goes to the dev outbox (the log and the data dir; GET /dev/outbox is off, see FUNCSPEC_DEV_OUTBOX)',
      );
    }
    await ctx.keys.load();
    ctx.usage.start();
    const app = await buildApp(ctx);
    await app.listen({ port: config.port, host: config.host });
    const keyHygiene = new KeyHygiene(ctx);
    keyHygiene.start();
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    return {
      app,
      ctx,
      url: `${config.tlsCertFile ? 'https' : 'http'}://${host}:${port}`,
      keyHygiene,
      async close() {
        await keyHygiene.stop();
        await app.close();
        await ctx.close();
      },
    };
  } catch (error) {
    await ctx.close();
    throw error;
  }
}
