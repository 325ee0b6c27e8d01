/** `agent`: minted by agent verify (sealed, so it can be given back); `user`: made through the API; `cli`: device flow / CLI login. */
export const KEY_KINDS = ['agent', 'user', 'cli'] as const;
export type ApiKeyKind = (typeof KEY_KINDS)[number];

export interface ApiKeysTable {
  id: string;
  org_id: string;
  /** The member whose permissions the key carries. */
  user_id: string;
  name: string;
  kind: ApiKeyKind;
  /** SHA-256 (hex) of the full key; the key itself is never stored. */
  key_hash: string;
  last_four: string;
  /** Agent keys only: the key sealed with the server secret. */
  sealed_key: string | null;
  /** JSON array of IPs/CIDRs; null = any address. */
  allowed_ips: string | null;
  /** JSON array of scopes (keys/scopes.ts); `["*"]` = everything the owner may do. */
  scopes: string;
  /** JSON array of project ids the key reaches; null = every project of its organization. */
  project_ids: string | null;
  created_by: string;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
  last_used_at: number | null;
  last_used_ip: string | null;
}

/** Requests of one key in one clock hour, by status class. */
export interface ApiKeyUsageTable {
  key_id: string;
  org_id: string;
  /** Epoch ms of the start of the hour (UTC). */
  hour_start: number;
  requests: number;
  status_2xx: number;
  status_3xx: number;
  status_4xx: number;
  status_5xx: number;
}

/** A hygiene mail sent about one key (`kind`: `expiry`); the primary key makes it once, whatever the processes. */
export interface ApiKeyNoticesTable {
  key_id: string;
  kind: 'expiry';
  sent_at: number;
}

/** When an organization last got the digest of its unused keys. */
export interface OrgKeyDigestsTable {
  org_id: string;
  sent_at: number;
}

export interface KeyTables {
  api_keys: ApiKeysTable;
  api_key_usage: ApiKeyUsageTable;
  api_key_notices: ApiKeyNoticesTable;
  org_key_digests: OrgKeyDigestsTable;
}
