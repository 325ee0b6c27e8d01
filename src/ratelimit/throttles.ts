import type { Config } from '../config.js';
import { rateLimited } from '../http/errors.js';
import type { Secrets } from '../lib/secrets.js';
import type { Clock } from '../lib/time.js';
import { clientBucket, retryAfterSeconds, type Limiter } from './limiter.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/**
 * What a throttle counts per: a client address (its IPv4 address or IPv6 /64), an e-mail address (by its
 * HMAC, so the counter names no address), or an id as it is.
 */
type CountedBy = 'ip' | 'email' | 'id';

interface Throttle {
  by: CountedBy;
  max: (config: Config) => number;
  windowMs: (config: Config) => number;
}

const perLoginWindow = (config: Config) => config.loginThrottleWindowMs;
const perHour = () => HOUR_MS;
const perDay = () => DAY_MS;

/** Every throttle of the server: its name (the counter's prefix), what it counts per, its limit and window. */
export const THROTTLES = {
  'login:ip': { by: 'ip', max: (c) => c.loginMaxAttemptsPerIp, windowMs: perLoginWindow },
  'login:acct': { by: 'email', max: (c) => c.loginMaxAttemptsPerAccount, windowMs: perLoginWindow },
  '2fa:user': { by: 'id', max: (c) => c.twoFactorMaxAttemptsPerAccount, windowMs: perLoginWindow },
  'account-mail:ip': { by: 'ip', max: (c) => c.accountMailsPerIpPerHour, windowMs: perHour },
  'account-mail:sign-up': { by: 'email', max: (c) => c.accountMailsPerEmailPerHour, windowMs: perHour },
  'account-mail:reset': { by: 'email', max: (c) => c.accountMailsPerEmailPerHour, windowMs: perHour },
  'passkey-options:ip': { by: 'ip', max: (c) => c.loginMaxAttemptsPerIp, windowMs: perLoginWindow },
  'device-code:ip': { by: 'ip', max: (c) => c.loginMaxAttemptsPerIp, windowMs: perLoginWindow },
  'device-approve:ip': { by: 'ip', max: (c) => c.deviceCodeMaxAttempts, windowMs: perLoginWindow },
  'device-approve:user': { by: 'id', max: (c) => c.deviceCodeMaxAttempts, windowMs: perLoginWindow },
  'agent-signup:ip': { by: 'ip', max: (c) => c.agentSignupsPerIpPerHour, windowMs: perHour },
  'agent-signup:email': { by: 'email', max: (c) => c.agentSignupsPerEmailPerHour, windowMs: perHour },
  'agent-verify:ip': { by: 'ip', max: (c) => c.agentVerifyPerIpPerHour, windowMs: perHour },
  'agent-verify:email': { by: 'email', max: (c) => c.agentVerifyPerEmailPerDay, windowMs: perDay },
  'invite:org': { by: 'id', max: (c) => c.invitationsPerOrgPerHour, windowMs: perHour },
  'invite:user': { by: 'id', max: (c) => c.invitationsPerOrgPerHour, windowMs: perHour },
  'invite:email': { by: 'email', max: (c) => c.invitationsPerEmailPerDay, windowMs: perDay },
  'leak-report:ip': { by: 'ip', max: (c) => c.leakReportsPerIpPerHour, windowMs: perHour },
} satisfies Record<string, Throttle>;

export type ThrottleName = keyof typeof THROTTLES;

interface ThrottleContext {
  limiter: Limiter;
  clock: Clock;
  config: Config;
  secrets: Secrets;
}

/** The counter: `<name>:<what it counts per>`, then `qualifier` (a narrower counter, e.g. one device's). */
function counterOf(ctx: ThrottleContext, name: ThrottleName, subject: string, qualifier: string): string {
  const { by } = THROTTLES[name] as Throttle;
  const part = by === 'ip' ? clientBucket(subject) : by === 'email' ? ctx.secrets.hmac('limit-key', subject) : subject;
  return `${name}:${part}${qualifier}`;
}

/** Counts one try; false past the limit (for answers that must not tell: the caller goes quiet instead). */
export async function countTry(ctx: ThrottleContext, name: ThrottleName, subject: string, qualifier = ''): Promise<boolean> {
  const throttle = THROTTLES[name] as Throttle;
  const decision = await ctx.limiter.hit(counterOf(ctx, name, subject, qualifier), throttle.max(ctx.config), throttle.windowMs(ctx.config));
  return decision.allowed;
}

/** Counts one try and refuses past the limit: 429 RATE_LIMITED with its Retry-After. */
export async function throttle(ctx: ThrottleContext, name: ThrottleName, subject: string, qualifier = ''): Promise<void> {
  const throttle = THROTTLES[name] as Throttle;
  const decision = await ctx.limiter.hit(counterOf(ctx, name, subject, qualifier), throttle.max(ctx.config), throttle.windowMs(ctx.config));
  if (!decision.allowed) throw rateLimited(retryAfterSeconds(decision, ctx.clock.now()));
}

/** Forgets a counter (a successful login clears its failures). */
export async function resetThrottle(ctx: ThrottleContext, name: ThrottleName, subject: string, qualifier = ''): Promise<void> {
  await ctx.limiter.reset(counterOf(ctx, name, subject, qualifier));
}
