import type { Logger } from 'pino';
import type { Db } from '../db/index.js';
import type { Clock } from '../lib/time.js';

const HOUR_MS = 3_600_000;
type StatusClass = 'status_2xx' | 'status_3xx' | 'status_4xx' | 'status_5xx';

interface HourCount {
  keyId: string;
  orgId: string;
  hourStart: number;
  requests: number;
  status_2xx: number;
  status_3xx: number;
  status_4xx: number;
  status_5xx: number;
}

interface LastUse {
  at: number;
  ip: string;
}

export function statusClass(status: number): StatusClass {
  if (status >= 500) return 'status_5xx';
  if (status >= 400) return 'status_4xx';
  if (status >= 300) return 'status_3xx';
  return 'status_2xx';
}

/**
 * Usage per key per hour, counted in memory on the request path (no write there) and flushed to the
 * database in one transaction every interval. A crash loses at most one interval of counts;
 * a failed flush keeps the counts for the next one.
 */
export class UsageRecorder {
  private counts = new Map<string, HourCount>();
  private lastUse = new Map<string, LastUse>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();
  private failures = 0;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly log: Logger,
    readonly intervalMs: number,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.intervalMs);
    this.timer.unref();
  }

  record(keyId: string, orgId: string, status: number, ip: string): void {
    const now = this.clock.now();
    const hourStart = now - (now % HOUR_MS);
    const id = `${keyId}|${hourStart}`;
    let count = this.counts.get(id);
    if (!count) {
      count = { keyId, orgId, hourStart, requests: 0, status_2xx: 0, status_3xx: 0, status_4xx: 0, status_5xx: 0 };
      this.counts.set(id, count);
    }
    count.requests += 1;
    count[statusClass(status)] += 1;
    this.lastUse.set(keyId, { at: now, ip });
  }

  /** Writes what was counted so far; concurrent calls queue behind each other. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.write());
    return this.flushing;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flush();
  }

  private async write(): Promise<void> {
    if (this.counts.size === 0 && this.lastUse.size === 0) return;
    const counts = this.counts;
    const lastUse = this.lastUse;
    this.counts = new Map();
    this.lastUse = new Map();
    try {
      await this.db.transaction().execute(async (trx) => {
        for (const c of counts.values()) {
          const row = {
            key_id: c.keyId,
            org_id: c.orgId,
            hour_start: c.hourStart,
            requests: c.requests,
            status_2xx: c.status_2xx,
            status_3xx: c.status_3xx,
            status_4xx: c.status_4xx,
            status_5xx: c.status_5xx,
          };
          await trx
            .insertInto('api_key_usage')
            .values(row)
            .onConflict((oc) =>
              oc.columns(['key_id', 'hour_start']).doUpdateSet((eb) => ({
                requests: eb('api_key_usage.requests', '+', eb.ref('excluded.requests')),
                status_2xx: eb('api_key_usage.status_2xx', '+', eb.ref('excluded.status_2xx')),
                status_3xx: eb('api_key_usage.status_3xx', '+', eb.ref('excluded.status_3xx')),
                status_4xx: eb('api_key_usage.status_4xx', '+', eb.ref('excluded.status_4xx')),
                status_5xx: eb('api_key_usage.status_5xx', '+', eb.ref('excluded.status_5xx')),
              })),
            )
            .execute();
        }
        for (const [keyId, use] of lastUse) {
          await trx
            .updateTable('api_keys')
            .set({ last_used_at: use.at, last_used_ip: use.ip })
            .where('id', '=', keyId)
            .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', use.at)]))
            .execute();
        }
      });
      this.failures = 0;
    } catch (error) {
      this.failures += 1;
      if (this.failures > 3) {
        this.log.error({ err: error, dropped: counts.size }, 'usage flush failed repeatedly; dropping this batch');
        this.failures = 0;
        return;
      }
      // Keep the counts for the next flush rather than lose them.
      for (const [id, c] of counts) {
        const pending = this.counts.get(id);
        if (!pending) this.counts.set(id, c);
        else for (const field of ['requests', 'status_2xx', 'status_3xx', 'status_4xx', 'status_5xx'] as const) pending[field] += c[field];
      }
      for (const [keyId, use] of lastUse) if (!this.lastUse.has(keyId)) this.lastUse.set(keyId, use);
      this.log.warn({ err: error }, 'usage flush failed; will retry');
    }
  }
}
