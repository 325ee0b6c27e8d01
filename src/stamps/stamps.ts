import type { Db, Executor } from '../db/index.js';
import { compiledOnce } from '../db/compiled.js';
import { DependencyUnavailable } from '../lib/unavailable.js';
import { randomToken } from '../lib/random.js';
import type { CacheStampsTable } from './tables.js';

/**
 * Cache stamps: how every process learns that data it may cache changed (keys, roles, balances). They
 * serve keys and credits alike, so they live here, below both.
 *
 * The stamps processes cache under, one row each in `cache_stamps`:
 * - `auth`: a key revoked or rotated, a role changed, a member removed, a plan, allow-list or user
 *   changed: cached key lookups are dropped;
 * - `key_set`: keys were added: the key filter pulls them in;
 * - `credits`: a grant or a debit: cached balances are dropped.
 */
export type StampName = CacheStampsTable['name'];

/** The stamps as one read saw them. `seq` orders reads: a later read has a higher one. */
export type Stamps = Record<StampName, string> & { seq: number };

/**
 * Announces a change to every process: call it inside the transaction that makes the change, so the
 * change and its announcement commit together or not at all (nothing to retry, no window in which a
 * committed change is unannounced). Values are random, never a counter, so a database restored from a
 * backup never brings back a value some process cached under.
 */
export async function announce(trx: Executor, ...names: StampName[]): Promise<void> {
  await trx
    .updateTable('cache_stamps')
    .set({ value: randomToken(12) })
    .where('name', 'in', names)
    .execute();
}

/**
 * Reads the stamps for requests, one read for many. A request may trust only a read that started after it
 * arrived (then it sees every change committed before its client sent it: "revoked on the next request").
 * So callers join the next read not yet started; it starts once the I/O of the current event-loop turn
 * was handled, and answers every request that arrived until then. Under load that is one small query
 * per turn for many requests; a quiet server pays one per request. At most a few reads run at once, so
 * a slow database is not flooded (callers then wait for a free slot, still joining one read).
 */
export class StampReader {
  private next: Promise<Stamps> | null = null;
  private running = 0;
  private readonly slotFreed: Array<() => void> = [];
  private seq = 0;
  private readonly query: () => Promise<Array<{ name: StampName; value: string }>>;
  /** Reads made (for tests and benchmarks). */
  reads = 0;

  constructor(
    db: Db,
    private readonly maxRunning = 4,
  ) {
    this.query = compiledOnce(db, () => db.selectFrom('cache_stamps').select(['name', 'value']));
  }

  read(): Promise<Stamps> {
    this.next ??= this.schedule();
    return this.next;
  }

  private async schedule(): Promise<Stamps> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (this.running >= this.maxRunning) await new Promise<void>((resolve) => this.slotFreed.push(resolve));
    this.next = null; // whoever comes from now on waits for a read that starts after them
    this.running += 1;
    try {
      return await this.load();
    } finally {
      this.running -= 1;
      this.slotFreed.shift()?.();
    }
  }

  private async load(): Promise<Stamps> {
    this.reads += 1;
    const seq = ++this.seq;
    let rows: Array<{ name: StampName; value: string }>;
    try {
      rows = await this.query();
    } catch (error) {
      throw new DependencyUnavailable('database', { cause: error }); // a cache must not be trusted without its stamp
    }
    // A missing row (deleted by hand) must not freeze a stamp: it reads as a value no other read sees.
    const unknown = `missing:${seq}`;
    const stamps = { seq, auth: unknown, key_set: unknown, credits: unknown } as Stamps;
    for (const row of rows) stamps[row.name] = row.value;
    return stamps;
  }
}
