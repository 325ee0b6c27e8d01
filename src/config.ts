import { accessSync, constants } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { parseDuration } from './lib/duration.js';

export type DatabaseTarget = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };

export interface Config {
  port: number;
  host: string;
  database: DatabaseTarget;
  redisUrl: string | null;
  /** Prefix of every Redis key, so one Redis can serve several deployments (or test runs). */
  redisPrefix: string;
  smtpUrl: string | null;
  mailFrom: string;
  publicUrl: string;
  publicOrigin: string;
  /** Explicit server secret; when null it is generated once into the data dir (SQLite only). */
  secret: string | null;
  dataDir: string;
  trustProxy: string[];
  sessionIdleTimeoutMs: number;
  sessionMaxAgeMs: number;
  agentOtpTtlMs: number;
  agentOtpMaxAttempts: number;
  agentSignupsPerEmailPerHour: number;
  agentSignupsPerIpPerHour: number;
  keyEnv: 'live' | 'test';
  /** How often counted API-key usage is written to the database (the most a crash can lose). */
  usageFlushIntervalMs: number;
  logLevel: string;
  /** Web accounts: password guesses per account and per client IP in one throttle window. */
  loginMaxAttemptsPerAccount: number;
  loginMaxAttemptsPerIp: number;
  loginThrottleWindowMs: number;
  /** Code guesses on one login challenge, and two-factor guesses per account per throttle window. */
  twoFactorMaxAttemptsPerChallenge: number;
  twoFactorMaxAttemptsPerAccount: number;
  /** Account mails (verification, reset, "you already have an account") per address and per client IP, per hour. */
  accountMailsPerEmailPerHour: number;
  accountMailsPerIpPerHour: number;
  /** Device authorization: lifetime of a code pair, polling interval, user-code tries per user and IP per throttle window. */
  deviceCodeTtlMs: number;
  devicePollIntervalMs: number;
  deviceCodeMaxAttempts: number;
  /** GET /dev/outbox answers (only in dev-outbox mode, only to unproxied loopback clients). */
  devOutboxHttp: boolean;
  /** Agent verify: tries per client IP per hour, and per address per day over all its codes. */
  agentVerifyPerIpPerHour: number;
  agentVerifyPerEmailPerDay: number;
  /** Invitation mails per organization per hour and per invited address per day. */
  invitationsPerOrgPerHour: number;
  invitationsPerEmailPerDay: number;
  /** Session-authenticated requests per user per hour. */
  sessionRequestsPerHour: number;
  /** Counters the in-process limiter keeps at most; past it, new counters are refused (fail closed). */
  limiterMaxKeys: number;
  /** Prometheus metrics on a listener of their own (null: off), on metricsHost. */
  metricsPort: number | null;
  metricsHost: string;
  /** Native TLS: PEM certificate chain and private key (both or neither). */
  tlsCertFile: string | null;
  tlsKeyFile: string | null;
  /** Leaked-key reports (POST /keys/leaked, no credentials) per client IP per hour. */
  leakReportsPerIpPerHour: number;
  /** How often each process looks for key hygiene mails to send (expiry warnings, unused-key digests). */
  keyHygieneIntervalMs: number;
}

/** A setting that cannot be used; `message` is the one line printed at start-up. */
export class ConfigError extends Error {
  constructor(
    readonly setting: string,
    problem: string,
  ) {
    super(`Invalid setting ${setting}: ${problem}`);
  }
}

type Env = Record<string, string | undefined>;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function read(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `"${raw}" is not a whole number`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `${value} is outside ${min}..${max}`);
  return value;
}

function duration(env: Env, name: string, fallback: string): number {
  const raw = read(env, name) ?? fallback;
  const ms = parseDuration(raw);
  if (ms === null) throw new ConfigError(name, `"${raw}" is not a duration like 500ms, 30s, 15m, 24h or 30d`);
  return ms;
}

/** A URL as it may be printed: any password (and user) before the host replaced, parsable or not. */
export function redactCredentials(raw: string): string {
  return raw.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^/?#]*@/, '$1***@');
}

function url(name: string, raw: string, protocols: string[]): URL {
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(name, `"${redactCredentials(raw)}" is not a URL`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(name, `must start with ${protocols.map((p) => `${p}//`).join(' or ')}`);
  }
  return parsed;
}

function databaseTarget(raw: string): DatabaseTarget {
  if (raw.startsWith('sqlite:')) {
    const file = raw.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (file === '') throw new ConfigError('DATABASE_URL', 'sqlite: needs a file path, e.g. sqlite:./data/funcspec.db');
    return { kind: 'sqlite', path: file === ':memory:' ? file : path.resolve(file) };
  }
  if (raw.startsWith('postgres://') || raw.startsWith('postgresql://')) {
    url('DATABASE_URL', raw, ['postgres:', 'postgresql:']);
    return { kind: 'postgres', url: raw };
  }
  throw new ConfigError('DATABASE_URL', `"${redactCredentials(raw)}" must start with sqlite: or postgres://`);
}

function proxyList(raw: string | undefined): string[] {
  if (!raw) return [];
  return raw.split(',').map((entry) => {
    const item = entry.trim();
    const [address, bits, ...rest] = item.split('/');
    const family = isIP(address ?? '');
    const maxBits = family === 4 ? 32 : 128;
    const bitsOk = bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= maxBits);
    if (family === 0 || rest.length > 0 || !bitsOk) {
      throw new ConfigError('FUNCSPEC_TRUST_PROXY', `"${item}" is not an IP address or CIDR`);
    }
    if (bits === '0') throw new ConfigError('FUNCSPEC_TRUST_PROXY', `"${item}" would trust every address, so any client could forge its own`);
    return item;
  });
}

const LOOPBACK_HOSTS = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/;

/**
 * The dev outbox's HTTP listing: `on`, `off`, or `auto` (the default): on only while mail is not sent
 * through SMTP and PUBLIC_URL is this machine. A deployment that people reach from elsewhere has a
 * PUBLIC_URL of its own, so a proxy in front of it never exposes the codes.
 */
function devOutboxHttp(env: Env, smtp: boolean, publicUrl: URL): boolean {
  const mode = read(env, 'FUNCSPEC_DEV_OUTBOX') ?? 'auto';
  if (mode !== 'auto' && mode !== 'on' && mode !== 'off') throw new ConfigError('FUNCSPEC_DEV_OUTBOX', 'must be auto, on or off');
  if (smtp || mode === 'off') return false;
  return mode === 'on' || LOOPBACK_HOSTS.test(publicUrl.hostname);
}

function readableFile(env: Env, name: string): string | null {
  const raw = read(env, name);
  if (raw === undefined) return null;
  const file = path.resolve(raw);
  try {
    accessSync(file, constants.R_OK);
  } catch {
    throw new ConfigError(name, `cannot read "${raw}"`);
  }
  return file;
}

/** Every setting of the server, parsed and checked in one place. Throws ConfigError on the first bad one. */
export function loadConfig(env: Env = process.env): Config {
  const port = integer(env, 'PORT', 8080, 0, 65535);
  const host = read(env, 'HOST') ?? '127.0.0.1';
  const database = databaseTarget(read(env, 'DATABASE_URL') ?? 'sqlite:./data/funcspec.db');

  const redisRaw = read(env, 'REDIS_URL');
  if (redisRaw) url('REDIS_URL', redisRaw, ['redis:', 'rediss:']);
  const smtpRaw = read(env, 'SMTP_URL');
  if (smtpRaw) url('SMTP_URL', smtpRaw, ['smtp:', 'smtps:']);

  const publicUrl = (read(env, 'PUBLIC_URL') ?? `http://localhost:${port}`).replace(/\/+$/, '');
  const publicParsed = url('PUBLIC_URL', publicUrl, ['http:', 'https:']);
  const publicOrigin = publicParsed.origin;

  const secret = read(env, 'FUNCSPEC_SECRET') ?? null;
  if (secret !== null && secret.length < 32) {
    throw new ConfigError('FUNCSPEC_SECRET', 'must be at least 32 characters (e.g. `openssl rand -hex 32`)');
  }
  if (secret === null && database.kind === 'postgres') {
    throw new ConfigError('FUNCSPEC_SECRET', 'is required when DATABASE_URL is PostgreSQL (every process must share it)');
  }

  const keyEnv = read(env, 'FUNCSPEC_KEY_ENV') ?? 'live';
  if (keyEnv !== 'live' && keyEnv !== 'test') throw new ConfigError('FUNCSPEC_KEY_ENV', 'must be live or test');

  const sessionIdleTimeoutMs = duration(env, 'FUNCSPEC_SESSION_IDLE_TIMEOUT', '24h');
  const sessionMaxAgeMs = duration(env, 'FUNCSPEC_SESSION_MAX_AGE', '30d');
  if (sessionMaxAgeMs < sessionIdleTimeoutMs) {
    throw new ConfigError('FUNCSPEC_SESSION_MAX_AGE', 'must not be shorter than FUNCSPEC_SESSION_IDLE_TIMEOUT');
  }

  const tlsCertFile = readableFile(env, 'TLS_CERT_FILE');
  const tlsKeyFile = readableFile(env, 'TLS_KEY_FILE');
  if ((tlsCertFile === null) !== (tlsKeyFile === null)) {
    throw new ConfigError(tlsCertFile ? 'TLS_KEY_FILE' : 'TLS_CERT_FILE', 'is needed too: native TLS takes both TLS_CERT_FILE and TLS_KEY_FILE');
  }
  const metricsPortRaw = read(env, 'FUNCSPEC_METRICS_PORT');
  const metricsPort = metricsPortRaw === undefined ? null : integer(env, 'FUNCSPEC_METRICS_PORT', 0, 0, 65535);
  if (metricsPort !== null && metricsPort !== 0 && metricsPort === port) {
    throw new ConfigError('FUNCSPEC_METRICS_PORT', 'must differ from PORT: metrics stay off the public listener');
  }

  const logLevel = read(env, 'LOG_LEVEL') ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`);

  return {
    port,
    host,
    database,
    redisUrl: redisRaw ?? null,
    redisPrefix: read(env, 'FUNCSPEC_REDIS_PREFIX') ?? 'funcspec:',
    smtpUrl: smtpRaw ?? null,
    mailFrom: read(env, 'FUNCSPEC_MAIL_FROM') ?? 'FuncSpec <no-reply@funcspec.local>',
    publicUrl,
    publicOrigin,
    secret,
    dataDir: path.resolve(read(env, 'FUNCSPEC_DATA_DIR') ?? './data'),
    trustProxy: proxyList(read(env, 'FUNCSPEC_TRUST_PROXY')),
    sessionIdleTimeoutMs,
    sessionMaxAgeMs,
    keyEnv,
    usageFlushIntervalMs: duration(env, 'FUNCSPEC_USAGE_FLUSH_INTERVAL', '10s'),
    logLevel,
    devOutboxHttp: devOutboxHttp(env, smtpRaw !== undefined, publicParsed),
    metricsPort,
    metricsHost: read(env, 'FUNCSPEC_METRICS_HOST') ?? '127.0.0.1',
    tlsCertFile,
    tlsKeyFile,
    keyHygieneIntervalMs: duration(env, 'FUNCSPEC_KEY_HYGIENE_INTERVAL', '1h'),
    ...limitSettings(env),
  };
}

/** The lifetimes, tries and per-hour allowances that the throttles and code checks use. */
function limitSettings(env: Env) {
  return {
    agentOtpTtlMs: duration(env, 'FUNCSPEC_AGENT_OTP_TTL', '24h'),
    agentOtpMaxAttempts: integer(env, 'FUNCSPEC_AGENT_OTP_MAX_ATTEMPTS', 10, 1, 1000),
    agentSignupsPerEmailPerHour: integer(env, 'FUNCSPEC_AGENT_SIGNUPS_PER_EMAIL', 5, 1, 1_000_000),
    agentSignupsPerIpPerHour: integer(env, 'FUNCSPEC_AGENT_SIGNUPS_PER_IP', 30, 1, 1_000_000),
    loginMaxAttemptsPerAccount: integer(env, 'FUNCSPEC_LOGIN_MAX_ATTEMPTS_PER_ACCOUNT', 10, 1, 1_000_000),
    loginMaxAttemptsPerIp: integer(env, 'FUNCSPEC_LOGIN_MAX_ATTEMPTS_PER_IP', 100, 1, 1_000_000),
    loginThrottleWindowMs: duration(env, 'FUNCSPEC_LOGIN_THROTTLE_WINDOW', '15m'),
    twoFactorMaxAttemptsPerChallenge: integer(env, 'FUNCSPEC_TWO_FACTOR_MAX_ATTEMPTS', 5, 1, 1000),
    twoFactorMaxAttemptsPerAccount: integer(env, 'FUNCSPEC_TWO_FACTOR_MAX_ATTEMPTS_PER_ACCOUNT', 10, 1, 1_000_000),
    accountMailsPerEmailPerHour: integer(env, 'FUNCSPEC_ACCOUNT_MAILS_PER_EMAIL', 5, 1, 1_000_000),
    accountMailsPerIpPerHour: integer(env, 'FUNCSPEC_ACCOUNT_MAILS_PER_IP', 50, 1, 1_000_000),
    deviceCodeTtlMs: duration(env, 'FUNCSPEC_DEVICE_CODE_TTL', '15m'),
    devicePollIntervalMs: duration(env, 'FUNCSPEC_DEVICE_POLL_INTERVAL', '5s'),
    deviceCodeMaxAttempts: integer(env, 'FUNCSPEC_DEVICE_CODE_MAX_ATTEMPTS', 20, 1, 1_000_000),
    agentVerifyPerIpPerHour: integer(env, 'FUNCSPEC_AGENT_VERIFY_PER_IP', 60, 1, 1_000_000),
    agentVerifyPerEmailPerDay: integer(env, 'FUNCSPEC_AGENT_VERIFY_PER_EMAIL', 20, 1, 1_000_000),
    invitationsPerOrgPerHour: integer(env, 'FUNCSPEC_INVITATIONS_PER_ORG', 50, 1, 1_000_000),
    invitationsPerEmailPerDay: integer(env, 'FUNCSPEC_INVITATIONS_PER_EMAIL', 5, 1, 1_000_000),
    sessionRequestsPerHour: integer(env, 'FUNCSPEC_SESSION_RATE_LIMIT', 5000, 1, 100_000_000),
    limiterMaxKeys: integer(env, 'FUNCSPEC_LIMITER_MAX_KEYS', 500_000, 1000, 100_000_000),
    leakReportsPerIpPerHour: integer(env, 'FUNCSPEC_LEAK_REPORTS_PER_IP', 60, 1, 1_000_000),
  };
}
