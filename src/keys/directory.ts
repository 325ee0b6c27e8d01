import { LRUCache } from 'lru-cache';
import type { ApiKeyPrincipal } from '../auth/principal.js';
import type { Db } from '../db/index.js';
import type { Clock } from '../lib/time.js';
import type { StampReader, Stamps } from '../stamps/stamps.js';
import { KeyHashFilter } from './filter.js';
import { compileAllowList, type AllowList } from '../lib/allow-list.js';
import { readProjectIds, readScopes } from './scopes.js';
import { isKeyLive } from './store.js';

/** What one stored key resolves to; `principal` is null when the key exists but cannot act (owner left or disabled). */
export interface KeyRecord {
  principal: ApiKeyPrincipal | null;
  expiresAt: number | null;
  revokedAt: number | null;
  allowedByOrg: AllowList;
  allowedByKey: AllowList;
}

export type KeyCheck = { ok: true; principal: ApiKeyPrincipal } | { ok: false; reason: 'invalid' } | { ok: false; reason: 'ip_not_allowed' };

const FILTER_SYNC_MARGIN_MS = 5 * 60_000;

/**
 * Resolves key hashes to principals with at most one indexed lookup, usually none:
 * - verified keys are kept in a bounded LRU, valid while the `auth` stamp is unchanged (any revocation,
 *   role, plan, allow-list or user change anywhere replaces it), and for at most a minute;
 * - a Bloom filter of every stored key hash answers "no such key" without the database, so random
 *   well-formed keys cost nothing; keys created by other processes are pulled in when the `key_set`
 *   stamp moves.
 * The stamps come with each call, read after the request arrived (see StampReader).
 */
export class KeyDirectory {
  private readonly known = new LRUCache<string, KeyRecord>({ max: 50_000, ttl: 60_000 });
  private knownEpoch: string | null = null;
  private knownSeq = 0;
  private filter: KeyHashFilter | null = null;
  private filterVersion: string | null = null;
  private filterSeq = 0;
  private filterSyncedAt = 0;
  /** Database reads made to resolve keys (for tests and benchmarks). */
  lookups = 0;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly stamps: StampReader,
  ) {}

  /** Loads every stored key hash into the filter; call once at start-up. */
  async load(): Promise<void> {
    const count = await this.db
      .selectFrom('api_keys')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    const filter = new KeyHashFilter(Math.max(100_000, Number(count.n) * 2));
    const stamps = await this.stamps.read();
    const startedAt = this.clock.now();
    let after = '';
    for (;;) {
      const page = await this.db.selectFrom('api_keys').select(['id', 'key_hash']).where('id', '>', after).orderBy('id').limit(10_000).execute();
      for (const row of page) filter.add(row.key_hash);
      if (page.length < 10_000) break;
      after = page[page.length - 1]!.id;
    }
    this.filter = filter;
    this.filterVersion = stamps.key_set;
    this.filterSeq = stamps.seq;
    this.filterSyncedAt = startedAt;
  }

  /** A key this process just stored (its transaction announced `key_set` to the others): usable here at once. */
  added(hash: string): void {
    this.filter?.add(hash);
  }

  async check(hash: string, ip: string, stamps: Stamps): Promise<KeyCheck> {
    // A newer read with another `auth` value: everything cached is stale. (An older read, from a request
    // that waited longer, leaves the cache alone and only uses it if it saw the same value.)
    if (stamps.seq > this.knownSeq) {
      if (stamps.auth !== this.knownEpoch) this.known.clear();
      this.knownEpoch = stamps.auth;
      this.knownSeq = stamps.seq;
    }
    const current = stamps.auth === this.knownEpoch;
    let found = current ? this.known.get(hash) : undefined;
    if (!found) {
      if (!(await this.mightExist(hash, stamps))) return { ok: false, reason: 'invalid' };
      found = (await this.read(hash)) ?? undefined;
      if (!found) return { ok: false, reason: 'invalid' };
      // Only while the stamp is still the one read before the lookup: a read that raced a revocation
      // (a newer stamp arrived, and the cache was cleared, while it ran) must not be cached under the new one.
      if (stamps.auth === this.knownEpoch) this.known.set(hash, found);
    }
    if (!found.principal || !isKeyLive({ expires_at: found.expiresAt, revoked_at: found.revokedAt }, this.clock.now())) {
      return { ok: false, reason: 'invalid' };
    }
    if (!found.allowedByOrg(ip) || !found.allowedByKey(ip)) return { ok: false, reason: 'ip_not_allowed' };
    return { ok: true, principal: found.principal };
  }

  /**
   * What the cache says of a key now, before the stamps are read: lets the caller start work that
   * depends on the key (counting it) in the same round trip as the check. `check` has the last word.
   */
  peek(hash: string, ip: string): ApiKeyPrincipal | null {
    const found = this.knownEpoch === null ? undefined : this.known.peek(hash);
    if (!found?.principal || !isKeyLive({ expires_at: found.expiresAt, revoked_at: found.revokedAt }, this.clock.now())) return null;
    return found.allowedByOrg(ip) && found.allowedByKey(ip) ? found.principal : null;
  }

  /** Drops every cached lookup in this process (the next request for each key reads the database). */
  forget(): void {
    this.known.clear();
  }

  private async mightExist(hash: string, stamps: Stamps): Promise<boolean> {
    if (!this.filter) return true;
    if (this.filter.mightContain(hash)) return true;
    // Not in the filter: certain, unless keys were added elsewhere since the filter last caught up.
    if (stamps.key_set === this.filterVersion || stamps.seq < this.filterSeq) return false;
    await this.sync(stamps);
    return this.filter.mightContain(hash);
  }

  private async sync(stamps: Stamps): Promise<void> {
    const startedAt = this.clock.now();
    const rows = await this.db
      .selectFrom('api_keys')
      .select('key_hash')
      .where('created_at', '>=', this.filterSyncedAt - FILTER_SYNC_MARGIN_MS)
      .execute();
    for (const row of rows) this.filter!.add(row.key_hash);
    if (stamps.seq > this.filterSeq) {
      this.filterVersion = stamps.key_set;
      this.filterSeq = stamps.seq;
      this.filterSyncedAt = startedAt;
    }
    if (this.filter!.full) await this.load();
  }

  private async read(hash: string): Promise<KeyRecord | null> {
    this.lookups += 1;
    const row = await this.db
      .selectFrom('api_keys as k')
      .innerJoin('users as u', 'u.id', 'k.user_id')
      .innerJoin('organizations as o', 'o.id', 'k.org_id')
      // The key acts as its member: without the membership it can do nothing.
      .leftJoin('memberships as m', (join) => join.onRef('m.org_id', '=', 'k.org_id').onRef('m.user_id', '=', 'k.user_id'))
      .select([
        'k.id as key_id',
        'k.name as key_name',
        'k.last_four',
        'k.allowed_ips as key_allowed_ips',
        'k.expires_at',
        'k.revoked_at',
        'k.scopes',
        'k.project_ids',
        'u.id as user_id',
        'u.email',
        'u.name as user_name',
        'u.disabled_at',
        'o.id as org_id',
        'o.name as org_name',
        'o.slug',
        'o.plan',
        'o.rate_limit',
        'o.allowed_ips as org_allowed_ips',
        'm.role',
      ])
      .where('k.key_hash', '=', hash)
      .executeTakeFirst();
    if (!row) return null;
    const { role } = row;
    return {
      principal:
        role !== null && row.disabled_at === null
          ? {
              via: 'api_key',
              user: { id: row.user_id, email: row.email, name: row.user_name },
              org: { id: row.org_id, name: row.org_name, slug: row.slug, plan: row.plan, rate_limit: row.rate_limit, allowed_ips: row.org_allowed_ips },
              role,
              apiKey: {
                id: row.key_id,
                name: row.key_name,
                last_four: row.last_four,
                allowed_ips: row.key_allowed_ips,
                ends_at: endOf(row.expires_at, row.revoked_at),
                scopes: readScopes(row.scopes),
                project_ids: readProjectIds(row.project_ids),
              },
              session: null,
            }
          : null,
      expiresAt: row.expires_at,
      revokedAt: row.revoked_at,
      allowedByOrg: compileAllowList(row.org_allowed_ips),
      allowedByKey: compileAllowList(row.key_allowed_ips),
    };
  }
}

/** The earlier of a key's expiry and its (future) revocation: when it stops working. */
function endOf(expiresAt: number | null, revokedAt: number | null): number | null {
  if (expiresAt === null) return revokedAt;
  return revokedAt === null ? expiresAt : Math.min(expiresAt, revokedAt);
}
