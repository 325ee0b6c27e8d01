import type { Redis } from 'ioredis';
import { dependencyUnavailable } from '../http/errors.js';
import { randomToken } from '../lib/random.js';

/**
 * A stamp that changes whenever something changes that processes cache. Two are used:
 * the auth epoch (a key revoked or rotated, a role changed, a member removed, a plan, allow-list or
 * user changed: cached key lookups are dropped) and the key-set version (keys were added: the key
 * filter pulls them in). Read on the request path, so reading must be cheap.
 */
export interface Stamp {
  /** The current value; null means "cannot hear about changes: do not cache". */
  current(): Promise<string | null>;
  /** Announce a change, after its transaction committed. */
  bump(): Promise<void>;
}


/**
 * Shared by every process on the same Redis: a bump is seen by the very next request anywhere.
 * Values are random, never a counter: if Redis loses its data the stamp does not start over at a value
 * some process already cached under (which would make it trust entries from before a revocation).
 */
export class RedisStamp implements Stamp {
  constructor(
    private readonly redis: Redis,
    private readonly key: string,
  ) {}
  async current(): Promise<string> {
    try {
      const value = await this.redis.get(this.key);
      if (value !== null) return value;
      // First start, or Redis came back empty: a fresh value (the first process to set it wins).
      await this.redis.set(this.key, randomToken(12), 'NX');
      const fresh = await this.redis.get(this.key);
      if (fresh === null) throw new Error('stamp vanished');
      return fresh;
    } catch {
      throw dependencyUnavailable('redis'); // a stale cache must not be trusted
    }
  }
  async bump(): Promise<void> {
    try {
      await this.redis.set(this.key, randomToken(12));
    } catch {
      // The change is committed but not announced: the caller retries (revoking again re-announces).
      throw dependencyUnavailable('redis');
    }
  }
}

/**
 * One process without Redis: its own changes bump a counter; on SQLite, commits by any other process
 * on the same file (operator commands, a second server) show in SQLite's data_version.
 */
export class LocalStamp implements Stamp {
  private counter = 0;
  constructor(private readonly dataVersion: () => number) {}
  async current(): Promise<string> {
    return `${this.counter}:${this.dataVersion()}`;
  }
  async bump(): Promise<void> {
    this.counter += 1;
  }
}

/**
 * PostgreSQL without Redis: nothing tells this process about other processes' changes (revocations,
 * keys they created), so nothing is cached and every key costs one indexed read.
 */
export const neverCache: Stamp = { current: async () => null, bump: async () => {} };

export interface Stamps {
  authEpoch: Stamp;
  keySet: Stamp;
  /** Moves after every grant and debit: organizations' balances are cached while it stands still. */
  credits: Stamp;
}

/** The Redis key (after the prefix) of each stamp; operator commands bump them too. */
export const STAMP_KEYS: Record<keyof Stamps, string> = { authEpoch: 'auth-epoch', keySet: 'keyset-version', credits: 'credits-version' };

export function createStamps(redis: Redis | null, prefix: string, dataVersion: (() => number) | null): Stamps {
  const each = (make: (name: keyof Stamps) => Stamp): Stamps => ({ authEpoch: make('authEpoch'), keySet: make('keySet'), credits: make('credits') });
  if (redis) return each((name) => new RedisStamp(redis, `${prefix}${STAMP_KEYS[name]}`));
  if (dataVersion) return each(() => new LocalStamp(dataVersion));
  return each(() => neverCache);
}
