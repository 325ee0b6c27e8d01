/**
 * Tells "the database could not be reached or answer in time" (a dependency outage: 503, retry) from
 * "the query was wrong" (a bug: 500). Both drivers report the first kind in several shapes.
 */

// Socket-level failures while connecting or talking to PostgreSQL.
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

// PostgreSQL SQLSTATEs of a server that is going away, starting, full, or that cancelled a query on timeout.
const POSTGRES_STATES = new Set(['57P01', '57P02', '57P03', '53300', '57014']);

// SQLite: the file stayed locked by another writer past busy_timeout.
const SQLITE_CODES = new Set(['SQLITE_BUSY', 'SQLITE_BUSY_SNAPSHOT', 'SQLITE_BUSY_TIMEOUT', 'SQLITE_LOCKED']);

// node-postgres and its pool say these in words only (no code).
const POSTGRES_MESSAGES = [
  'timeout exceeded when trying to connect', // the pool is exhausted, or the server does not answer
  'Connection terminated', // unexpectedly, or due to connection timeout
  'Client has encountered a connection error',
  'Client was closed and is not queryable',
  'Connection refused',
];

export function isDatabaseUnavailable(error: unknown): boolean {
  const seen = new Set<unknown>();
  const pending = [error];
  while (pending.length > 0) {
    const item = pending.pop() as { code?: unknown; message?: unknown; errors?: unknown; cause?: unknown } | null | undefined;
    if (!item || typeof item !== 'object' || seen.has(item)) continue;
    seen.add(item);
    const code = typeof item.code === 'string' ? item.code : '';
    if (NETWORK_CODES.has(code) || POSTGRES_STATES.has(code) || code.startsWith('08') || SQLITE_CODES.has(code)) return true;
    if (typeof item.message === 'string' && POSTGRES_MESSAGES.some((text) => (item.message as string).includes(text))) return true;
    // Node reports a refused dual-stack connect as an AggregateError; drivers may wrap the cause.
    if (Array.isArray(item.errors)) pending.push(...item.errors);
    pending.push(item.cause);
  }
  return false;
}
