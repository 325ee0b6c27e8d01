import type { Redis } from 'ioredis';
import { DependencyUnavailable } from '../lib/unavailable.js';
import { decide, type LimitDecision, type Limiter } from './limiter.js';

// One round trip, one atomic step for a batch of hits: each key is counted (the window starts on its first
// hit) and reports what is left of its window; the last value is Redis's clock. A key named twice in one
// batch is counted twice, in order, so limit N still admits exactly N.
const HIT_SCRIPT = `
local out = {}
for i = 1, #KEYS do
  local count = redis.call('INCR', KEYS[i])
  if count == 1 then redis.call('PEXPIRE', KEYS[i], ARGV[i]) end
  local ttl = redis.call('PTTL', KEYS[i])
  if ttl < 0 then redis.call('PEXPIRE', KEYS[i], ARGV[i]); ttl = tonumber(ARGV[i]) end
  out[2 * i - 1] = count
  out[2 * i] = ttl
end
local now = redis.call('TIME')
out[#out + 1] = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
return out
`;

// Gives one hit back, only within a live window (never creates a key, never goes below zero).
const RELEASE_SCRIPT = `
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count > 0 then return redis.call('DECR', KEYS[1]) end
return 0
`;

function unavailable(error: unknown): never {
  throw new DependencyUnavailable('redis', { cause: error });
}

interface PendingHit {
  key: string;
  limit: number;
  windowMs: number;
  resolve(decision: LimitDecision): void;
  reject(error: unknown): void;
}

type HitScript = (keyCount: number, ...keysThenWindows: Array<string | number>) => Promise<number[]>;

/**
 * Limiter shared by every process that uses the same Redis: exact across processes. The hits of one
 * event-loop turn go to Redis as one script call: under load, one command (and one reply to parse)
 * counts many requests.
 */
export class RedisLimiter implements Limiter {
  private batch: PendingHit[] = [];
  private readonly run: HitScript;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    redis.defineCommand('funcspecHits', { lua: HIT_SCRIPT });
    redis.defineCommand('funcspecRelease', { lua: RELEASE_SCRIPT, numberOfKeys: 1 });
    const command = (redis as unknown as { funcspecHits: HitScript }).funcspecHits;
    this.run = (...args) => command.apply(redis, args);
  }

  hit(key: string, limit: number, windowMs: number): Promise<LimitDecision> {
    return new Promise((resolve, reject) => {
      if (this.batch.length === 0) setImmediate(() => this.send());
      this.batch.push({ key: `${this.prefix}rl:${key}`, limit, windowMs, resolve, reject });
    });
  }

  private send(): void {
    const hits = this.batch;
    this.batch = [];
    this.run(hits.length, ...hits.map((h) => h.key), ...hits.map((h) => h.windowMs)).then(
      (reply) => {
        // The window end is measured on Redis's clock, so every process reports the same reset time.
        const redisNow = reply[reply.length - 1]!;
        for (const [i, h] of hits.entries()) h.resolve(decide(reply[2 * i]!, h.limit, redisNow + reply[2 * i + 1]!));
      },
      // Fail closed: without Redis nothing is let through uncounted.
      (error: unknown) => {
        for (const h of hits) h.reject(new DependencyUnavailable('redis', { cause: error }));
      },
    );
  }

  async reset(key: string): Promise<void> {
    await this.redis.del(`${this.prefix}rl:${key}`).catch(unavailable);
  }

  async release(key: string): Promise<void> {
    await (this.redis as unknown as { funcspecRelease(key: string): Promise<number> }).funcspecRelease(`${this.prefix}rl:${key}`).catch(unavailable);
  }

  async close(): Promise<void> {}
}
