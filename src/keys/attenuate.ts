import ipaddr from 'ipaddr.js';
import type { Principal } from '../auth/principal.js';
import { readAllowList } from '../lib/allow-list.js';
import { ALL_SCOPES, normalizeScopes, projectsBeyond, scopesBeyond, type Grant } from './scopes.js';

/**
 * Credentials only attenuate: a key, or anything made through one (a key, an organization's first key,
 * the key an accepted invitation hands out), never outlives the key that made it, nor is allowed from an
 * address that key is not allowed from, nor holds a scope or reaches a project that key does not.
 * Sessions make keys without such bounds.
 */

/**
 * What a key may still do, as far as new keys are concerned: when it ends, where it may be used from
 * (null: anywhere), its scopes and its projects (null: all).
 */
export interface KeyBounds {
  endsAt: number | null;
  allowedIps: string[] | null;
  scopes: readonly Grant[];
  projectIds: readonly string[] | null;
}

/** The bounds of the calling key (its expiry or rotation end; its own and its organization's allow-lists; its scopes and projects), or null for a session. */
export function boundsOf(principal: Principal): KeyBounds | null {
  if (!principal.apiKey) return null;
  return {
    endsAt: principal.apiKey.ends_at,
    allowedIps: intersect(readAllowList(principal.apiKey.allowed_ips), readAllowList(principal.org?.allowed_ips ?? null)),
    scopes: principal.apiKey.scopes,
    projectIds: principal.apiKey.project_ids,
  };
}

export interface KeyRequest {
  expiresAt?: number | null;
  allowedIps?: string[] | null;
  /** Undefined: as the maker (everything, for a session). */
  scopes?: readonly Grant[];
  /** Undefined: as the maker (every project, for a session); null: every project. */
  projectIds?: readonly string[] | null;
}

export type Attenuated =
  | { ok: true; expiresAt: number | null; allowedIps: string[] | null; scopes: Grant[]; projectIds: readonly string[] | null }
  | { ok: false; field: 'expires_at' | 'allowed_ips' | 'scopes' | 'project_ids'; problem: string };

/**
 * The expiry, allow-list, scopes and projects of a key made under `bounds`: what was asked for when it
 * stays within them, the bounds themselves where nothing was asked for, else which field asks for more
 * than the maker has.
 */
export function attenuate(bounds: KeyBounds | null, requested: KeyRequest): Attenuated {
  const expiresAt = requested.expiresAt ?? null;
  const allowedIps = requested.allowedIps && requested.allowedIps.length > 0 ? requested.allowedIps : null;
  if (!bounds) {
    return { ok: true, expiresAt, allowedIps, scopes: normalizeScopes(requested.scopes ?? [ALL_SCOPES]), projectIds: requested.projectIds ?? null };
  }
  if (bounds.endsAt !== null && expiresAt !== null && expiresAt > bounds.endsAt) {
    return { ok: false, field: 'expires_at', problem: `must not be later than the key making it, which ends at ${new Date(bounds.endsAt).toISOString()}` };
  }
  if (bounds.allowedIps && allowedIps) {
    const outside = allowedIps.find((entry) => !bounds.allowedIps!.some((allowed) => contains(allowed, entry)));
    if (outside)
      return { ok: false, field: 'allowed_ips', problem: `${outside} is outside what the key making it is allowed from (${bounds.allowedIps.join(', ')})` };
  }
  const scopes = requested.scopes ?? bounds.scopes;
  const extraScopes = scopesBeyond(bounds.scopes, scopes);
  if (extraScopes.length > 0) {
    return { ok: false, field: 'scopes', problem: `${extraScopes.join(', ')} is more than the key making it holds (${bounds.scopes.join(', ')})` };
  }
  const projectIds = requested.projectIds === undefined ? bounds.projectIds : requested.projectIds;
  const extraProjects = projectsBeyond(bounds.projectIds, projectIds);
  if (extraProjects.length > 0) {
    const what = extraProjects[0] === '*' ? 'every project' : extraProjects.join(', ');
    return { ok: false, field: 'project_ids', problem: `${what} is more than the key making it reaches (${bounds.projectIds!.join(', ')})` };
  }
  return { ok: true, expiresAt: expiresAt ?? bounds.endsAt, allowedIps: allowedIps ?? bounds.allowedIps, scopes: normalizeScopes(scopes), projectIds };
}

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

function range(entry: string): Range {
  if (entry.includes('/')) return ipaddr.parseCIDR(entry);
  const address = ipaddr.parse(entry);
  return [address, address.kind() === 'ipv4' ? 32 : 128];
}

/** Is the block `inner` inside the block `outer` (canonical IPs or CIDRs)? */
function contains(outer: string, inner: string): boolean {
  const [outerAddress, outerBits] = range(outer);
  const [innerAddress, innerBits] = range(inner);
  return outerAddress.kind() === innerAddress.kind() && innerBits >= outerBits && innerAddress.match(outerAddress, outerBits);
}

/**
 * The addresses both lists allow (an empty list allows any). Two CIDR blocks are either nested or
 * disjoint, so the overlap of two lists is the smaller block of every nested pair.
 */
export function intersect(a: string[], b: string[]): string[] | null {
  if (a.length === 0) return b.length === 0 ? null : b;
  if (b.length === 0) return a;
  const both = new Set<string>();
  for (const x of a)
    for (const y of b) {
      if (contains(x, y)) both.add(y);
      else if (contains(y, x)) both.add(x);
    }
  return [...both];
}
