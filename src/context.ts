import type { Redis } from 'ioredis';
import { createRequire } from 'node:module';
import { pino, type DestinationStream, type Logger } from 'pino';
import type { Config } from './config.js';
import { openStore, type Db, type PoolStats, type Store } from './db/index.js';
import { systemClock, type Clock } from './lib/time.js';
import { createSecrets, resolveSecret, type Secrets } from './lib/secrets.js';
import { OutboxMailer, SmtpMailer, type Mailer } from './mail/mailer.js';
import type { Limiter } from './ratelimit/limiter.js';
import { MemoryLimiter } from './ratelimit/memory.js';
import { RedisLimiter } from './ratelimit/redis.js';
import { KeyDirectory } from './keys/directory.js';
import { StampReader } from './stamps/stamps.js';
import { UsageRecorder } from './keys/usage.js';

/** Everything a feature needs from the process, passed in explicitly (no globals). */
export interface AppContext {
  config: Config;
  db: Db;
  dbKind: Store['kind'];
  /** PostgreSQL's connection pool now (null on SQLite). */
  dbPool(): PoolStats | null;
  clock: Clock;
  secrets: Secrets;
  mailer: Mailer;
  limiter: Limiter;
  /** Counters kept in this process only: where a shared counter may fall back while Redis is down (session allowances). */
  localLimiter: Limiter;
  redis: Redis | null;
  log: Logger;
  /** The cache stamps (see stamps/stamps.ts): changes announce themselves in their transaction; requests read them. */
  stamps: StampReader;
  /** API-key lookups: cache, filter of stored keys, one indexed read at most. */
  keys: KeyDirectory;
  /** Requests per key per hour, counted in memory and flushed in batches. */
  usage: UsageRecorder;
  close(): Promise<void>;
}

/** Mailed links carry secrets in their query (`?token=…`, `?code=…`): never in the log. */
export function redactUrl(url: string): string {
  return url.replace(/([?&](?:token|code|user_code|device_code)=)[^&#]*/gi, '$1[redacted]');
}

/** pino with request lines that carry no secret (request lines are written at debug level). */
/**
 * The server's log: JSON lines (for log shippers and process managers), or, when stdout is a terminal,
 * lines a person reads (time, level, message, fields), written synchronously like the JSON ones.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    serializers: {
      req: (req: { method: string; url: string; id?: string }) => ({ method: req.method, url: redactUrl(req.url), id: req.id }),
    },
  };
  if (destination) return pino(options, destination);
  if (!process.stdout.isTTY) return pino(options);
  // Loaded only for a terminal: a server whose output is a log never pays for it.
  const pretty = createRequire(import.meta.url)('pino-pretty') as typeof import('pino-pretty');
  return pino(options, pretty({ sync: true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' }));
}

export const REDIS_COMMAND_TIMEOUT_MS = 2_000;
/** Reconnect to a lost Redis soon and often (every 0.1 s, backing off to 0.5 s): requests wait on it. */
const reconnectDelay = (attempt: number) => Math.min(attempt * 100, 500);

export interface ContextOptions {
  clock?: Clock;
  log?: Logger;
}

export async function createContext(config: Config, options: ContextOptions = {}): Promise<AppContext> {
  const clock = options.clock ?? systemClock;
  const log = options.log ?? createLogger(config.logLevel);
  const store = openStore(config.database);
  const secrets = createSecrets(resolveSecret(config.secret, config.dataDir));
  const mailer = config.smtpUrl ? new SmtpMailer(config.smtpUrl, config.mailFrom) : new OutboxMailer(config.dataDir, log);
  // Loaded only when configured: an idle process holds no client it does not use. A command Redis does
  // not answer within 2 s fails (the request is answered 503), so a Redis that hangs holds no request; a
  // disconnected one fails commands at once (no offline queue) while it reconnects.
  const redis = config.redisUrl
    ? new (await import('ioredis')).Redis(config.redisUrl, {
        maxRetriesPerRequest: 1,
        enableOfflineQueue: false,
        lazyConnect: true,
        commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
        retryStrategy: reconnectDelay,
      })
    : null;
  // Redis errors surface on the requests that need it and on /readyz; an 'error' event must not crash the process.
  redis?.on('error', (error) => log.warn({ err: error }, 'redis connection error'));
  await redis?.connect();
  // (No auto-pipelining: the limiter already sends the hits of an event-loop turn as one command.)
  const localLimiter = new MemoryLimiter(clock, config.limiterMaxKeys);
  const limiter = redis ? new RedisLimiter(redis, config.redisPrefix) : localLimiter;
  const stamps = new StampReader(store.db);
  const keys = new KeyDirectory(store.db, clock, stamps);
  const usage = new UsageRecorder(store.db, clock, log, config.usageFlushIntervalMs);

  const ctx: AppContext = {
    config,
    db: store.db,
    dbKind: store.kind,
    dbPool: () => store.poolStats?.() ?? null,
    clock,
    secrets,
    mailer,
    limiter,
    localLimiter,
    redis,
    log,
    stamps,
    keys,
    usage,
    async close() {
      await usage.stop();
      await limiter.close();
      if (localLimiter !== limiter) await localLimiter.close();
      mailer.close();
      redis?.disconnect();
      await store.close();
    },
  };
  return ctx;
}
