import { rateLimited } from '../http/errors.js';
import type { Clock } from '../lib/time.js';
import { retryAfterSeconds, type Limiter } from './limiter.js';

/** Counts one try against `key` (limit per window) and refuses past it: 429 RATE_LIMITED with its Retry-After. */
export async function throttle(ctx: { limiter: Limiter; clock: Clock }, key: string, limit: number, windowMs: number): Promise<void> {
  const decision = await ctx.limiter.hit(key, limit, windowMs);
  if (!decision.allowed) throw rateLimited(retryAfterSeconds(decision, ctx.clock.now()));
}
