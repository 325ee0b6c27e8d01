import ipaddr from 'ipaddr.js';

/** The result of one counted request against a fixed window. */
export interface LimitDecision {
  allowed: boolean;
  /** Requests counted in this window, this one included. */
  count: number;
  limit: number;
  /** Requests left in this window after this one (never negative). */
  remaining: number;
  /** Epoch ms when the window ends and the count starts again. */
  resetAt: number;
}

/**
 * Counts requests per key in fixed windows that start at the key's first request.
 * Every call counts, atomically: with limit N, N concurrent callers are allowed and the N+1st is not,
 * on one process (memory) or across processes (Redis).
 */
export interface Limiter {
  hit(key: string, limit: number, windowMs: number): Promise<LimitDecision>;
  /** Forget a key's count (e.g. after a successful login clears failures). */
  reset(key: string): Promise<void>;
  /** Give back one hit of the current window (a request counted before it was refused for another reason). */
  release(key: string): Promise<void>;
  close(): Promise<void>;
}

/** The pure decision, shared by both backends: given the count after this hit and the window end. */
export function decide(count: number, limit: number, resetAt: number): LimitDecision {
  return { allowed: count <= limit, count, limit, remaining: Math.max(0, limit - count), resetAt };
}

/** `X-RateLimit-Reset`: the window end in Unix epoch seconds. */
export function resetEpochSeconds(decision: LimitDecision): number {
  return Math.ceil(decision.resetAt / 1000);
}

/** Seconds until the window ends (at least 1), so that Retry-After = X-RateLimit-Reset − now. */
export function retryAfterSeconds(decision: LimitDecision, now: number): number {
  return Math.max(1, resetEpochSeconds(decision) - Math.floor(now / 1000));
}

/**
 * The client that per-IP throttles count: an IPv4 address (also when written IPv4-mapped), or the /64
 * of an IPv6 address. One IPv6 subscriber holds a whole /64: counted address by address, a client could
 * send every request from a fresh one, each with a fresh allowance (and a fresh counter in memory).
 */
export function clientBucket(ip: string): string {
  let address: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    address = ipaddr.process(ip);
  } catch {
    return ip;
  }
  if (address.kind() === 'ipv4') return address.toString();
  const prefix = (address as ipaddr.IPv6).parts.slice(0, 4).map((part) => part.toString(16));
  return `${prefix.join(':')}::/64`;
}
