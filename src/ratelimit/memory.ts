import type { Clock } from '../lib/time.js';
import { decide, type LimitDecision, type Limiter } from './limiter.js';

interface Window {
  count: number;
  resetAt: number;
}

/** How often a full table may be swept for expired windows (a sweep walks every counter). */
const FULL_SWEEP_INTERVAL_MS = 1000;

/**
 * In-process limiter: exact within one process (the event loop makes each hit atomic). The table is
 * bounded: when `maxKeys` counters are live, a new counter is refused (the request is denied) rather
 * than an old one evicted, since forgetting a live counter would hand its owner a fresh allowance.
 */
export class MemoryLimiter implements Limiter {
  private readonly windows = new Map<string, Window>();
  private readonly sweeper: NodeJS.Timeout;
  private lastFullSweep = -Infinity;

  constructor(
    private readonly clock: Clock,
    private readonly maxKeys = 500_000,
  ) {
    // Expired windows are dropped every minute so memory follows the number of active keys.
    this.sweeper = setInterval(() => this.sweep(), 60_000);
    this.sweeper.unref();
  }

  async hit(key: string, limit: number, windowMs: number): Promise<LimitDecision> {
    const now = this.clock.now();
    let window = this.windows.get(key);
    if (!window || window.resetAt <= now) {
      if (!window && !this.hasRoom(now)) return decide(limit + 1, limit, now + FULL_SWEEP_INTERVAL_MS); // fail closed
      window = { count: 0, resetAt: now + windowMs };
      this.windows.set(key, window);
    }
    window.count += 1;
    return decide(window.count, limit, window.resetAt);
  }

  async reset(key: string): Promise<void> {
    this.windows.delete(key);
  }

  async release(key: string): Promise<void> {
    const window = this.windows.get(key);
    if (window && window.count > 0 && window.resetAt > this.clock.now()) window.count -= 1;
  }

  /** Room for one more counter: at once while below the bound, else after dropping expired ones (at most once a second). */
  private hasRoom(now: number): boolean {
    if (this.windows.size < this.maxKeys) return true;
    if (now - this.lastFullSweep < FULL_SWEEP_INTERVAL_MS) return false;
    this.lastFullSweep = now;
    this.sweep();
    return this.windows.size < this.maxKeys;
  }

  private sweep(): void {
    const now = this.clock.now();
    for (const [key, window] of this.windows) if (window.resetAt <= now) this.windows.delete(key);
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
  }
}
