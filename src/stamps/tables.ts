export const STAMP_NAMES = ['auth', 'key_set', 'credits'] as const;

/** One row per stamp: a random value, replaced by every change it announces. */
export interface CacheStampsTable {
  name: (typeof STAMP_NAMES)[number];
  value: string;
}

export interface StampTables {
  cache_stamps: CacheStampsTable;
}
