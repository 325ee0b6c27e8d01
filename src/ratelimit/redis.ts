import type { Redis } from 'ioredis';
import { dependencyUnavailable } from '../http/errors.js';
import { decide, type LimitDecision, type Limiter } from './limiter.js';

// One round trip, one atomic step: count, start the window on the first hit, report what is left of it.
const HIT_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
local now = redis.call('TIME')
return {count, ttl, tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)}
`;

type HitReply = [number, number, number];

/** Limiter shared by every process that uses the same Redis: exact across processes. */
export class RedisLimiter implements Limiter {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    redis.defineCommand('funcspecHit', { numberOfKeys: 1, lua: HIT_SCRIPT });
  }

  async hit(key: string, limit: number, windowMs: number): Promise<LimitDecision> {
    const run = (this.redis as unknown as { funcspecHit(key: string, windowMs: number): Promise<HitReply> }).funcspecHit;
    // Fail closed: without Redis nothing is let through uncounted.
    const [count, ttl, redisNow] = await run.call(this.redis, `${this.prefix}rl:${key}`, windowMs).catch(() => {
      throw dependencyUnavailable('redis');
    });
    // The window end is measured on Redis's clock, so every process reports the same reset time.
    return decide(count, limit, redisNow + ttl);
  }

  async reset(key: string): Promise<void> {
    await this.redis.del(`${this.prefix}rl:${key}`);
  }

  async close(): Promise<void> {}
}
