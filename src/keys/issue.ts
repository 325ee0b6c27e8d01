import { byActor, type Actor } from '../audit/actor.js';
import { recordAudit } from '../audit/audit.js';
import type { AppContext } from '../context.js';
import type { Trx } from '../db/index.js';
import { storeAllowList } from '../lib/allow-list.js';
import { newId } from '../lib/random.js';
import { announce } from '../stamps/stamps.js';
import { generateKey, hashKey, lastFour } from './format.js';
import { ALL_SCOPES, normalizeScopes, type Grant } from './scopes.js';
import type { ApiKeyKind, ApiKeysTable } from './tables.js';

/** How a key came to be, as its audit entry says. */
export type KeyVia = 'api' | 'rotation' | 'organization' | 'invitation' | 'device_authorization' | 'agent';

export interface KeyRequest {
  orgId: string;
  /** The owner: the key acts as this member. */
  userId: string;
  name: string;
  kind: ApiKeyKind;
  expiresAt?: number | null;
  /** Null or empty: any address (stored as null, as on organizations). */
  allowedIps?: readonly string[] | null;
  /** Default `*`: everything the owner may do. */
  scopes?: readonly Grant[];
  /** Default null: every project of the organization. */
  projectIds?: readonly string[] | null;
  /** Who makes it (recorded as created_by and in the audit log), and how. */
  by: Actor;
  via: KeyVia;
  /** A rotation: the key this one replaces, and how long that one still works. */
  rotates?: { id: string; lastFour: string; overlapSeconds: number };
}

export interface IssuedKey {
  row: ApiKeysTable;
  /** The full key: shown to its holder this once, never stored. */
  key: string;
}

export type IssueKey = (request: KeyRequest) => Promise<IssuedKey>;

/**
 * Runs `work` in one transaction in which `issueKey` mints keys. Each key is stored as its hash (agent
 * keys also sealed: agent verify gives the same key back), recorded in the audit log and announced to
 * every process's key filter in the same transaction; after the commit this process's filter learns of
 * it at once. The one way a key is made.
 */
export async function issuingKeys<T>(ctx: AppContext, work: (trx: Trx, issueKey: IssueKey) => Promise<T>): Promise<T> {
  const issued: string[] = [];
  const result = await ctx.db.transaction().execute((trx) =>
    work(trx, async (request) => {
      const made = await insertKey(ctx, trx, request);
      issued.push(made.row.key_hash);
      return made;
    }),
  );
  for (const hash of issued) ctx.keys.added(hash);
  return result;
}

async function insertKey(ctx: AppContext, trx: Trx, request: KeyRequest): Promise<IssuedKey> {
  const now = ctx.clock.now();
  const key = generateKey(ctx.config.keyEnv);
  const row: ApiKeysTable = {
    id: newId('key'),
    org_id: request.orgId,
    user_id: request.userId,
    name: request.name,
    kind: request.kind,
    key_hash: hashKey(key),
    last_four: lastFour(key),
    sealed_key: request.kind === 'agent' ? ctx.secrets.seal(key) : null,
    allowed_ips: storeAllowList(request.allowedIps),
    scopes: JSON.stringify(normalizeScopes(request.scopes ?? [ALL_SCOPES])),
    project_ids: request.projectIds ? JSON.stringify(request.projectIds) : null,
    created_by: request.by.userId,
    created_at: now,
    expires_at: request.expiresAt ?? null,
    revoked_at: null,
    last_used_at: null,
    last_used_ip: null,
  };
  await trx.insertInto('api_keys').values(row).execute();
  await announce(trx, 'key_set');
  const { rotates } = request;
  await recordAudit(trx, now, {
    action: rotates ? 'api_key.rotated' : 'api_key.created',
    orgId: row.org_id,
    targetType: 'api_key',
    targetId: row.id,
    ...byActor(request.by),
    details: {
      name: row.name,
      kind: row.kind,
      last_four: row.last_four,
      via: request.via,
      expires_at: row.expires_at,
      allowed_ips: request.allowedIps?.length ? request.allowedIps : null,
      scopes: JSON.parse(row.scopes),
      project_ids: request.projectIds ?? null,
      ...(rotates ? { rotated_from: { id: rotates.id, last_four: rotates.lastFour, expires_in_seconds: rotates.overlapSeconds } } : {}),
    },
  });
  return { row, key };
}
