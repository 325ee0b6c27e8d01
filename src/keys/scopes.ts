import { z } from 'zod';
import type { Principal } from '../auth/principal.js';
import { HttpErrors, type ApiError } from '../http/errors.js';

/**
 * What a key may be limited to (§9): scopes name kinds of operation, `project_ids` name the projects it
 * reaches. A route declares the scope it needs; the auth gate decides (see `refusal`). Sessions are
 * never limited by scopes: they act with everything their user's roles allow.
 */
export const SCOPES = [
  'org:read',
  'org:write',
  'members:write',
  'keys:write',
  'projects:read',
  'projects:write',
  'items:read',
  'items:write',
  'credits:read',
  'credits:write',
  'audit:read',
] as const;

export type Scope = (typeof SCOPES)[number];

/** Every scope: whatever the key's owner may do. */
export const ALL_SCOPES = '*';

/** What a key holds: `*`, or some scopes. */
export type Grant = Scope | typeof ALL_SCOPES;

/** What each scope lets a key do, for the docs and the OpenAPI document. */
export const SCOPE_DESCRIPTIONS: Record<Scope, string> = {
  'org:read': 'read the organization, its members, invitations, API keys (metadata, never a secret) and usage',
  'org:write': 'change the organization (name, slug, allowed IPs, hygiene mails), create organizations, delete it',
  'members:write': 'invite, change roles, remove members, transfer ownership, accept invitations, change project teams',
  'keys:write': 'create, rotate and revoke API keys (never one with more than the key that makes it)',
  'projects:read': 'read projects and their teams',
  'projects:write': 'create, rename and delete projects',
  'items:read': 'read, list and search spec items',
  'items:write': 'create, edit, delete and transition spec items',
  'credits:read': "read the credits balance, the ledger and the owner's billing view",
  'credits:write': 'spend credits (debits)',
  'audit:read': 'read the audit log',
};

/**
 * A write scope includes the read scope of the same things: its answers show what it wrote, so a
 * write-only key would read anyway.
 */
export const SCOPE_INCLUDES: Partial<Record<Scope, Scope>> = {
  'org:write': 'org:read',
  'projects:write': 'projects:read',
  'items:write': 'items:read',
  'credits:write': 'credits:read',
};

export const GrantSchema = z.enum([ALL_SCOPES, ...SCOPES]);

/** What a route needs of a key: a scope, or `none` (any key may call it: `/me`, `/mcp`). */
export type ScopeNeed = Scope | 'none';

/** The limits a key carries: its scopes, and its projects (null: every project of its organization). */
export interface KeyLimits {
  scopes: readonly Grant[];
  project_ids: readonly string[] | null;
}

/** Does holding `held` cover `required`? */
export function covers(held: readonly Grant[], required: Scope): boolean {
  for (const grant of held) {
    if (grant === ALL_SCOPES || grant === required || SCOPE_INCLUDES[grant] === required) return true;
  }
  return false;
}

/** True for a key without limits (`*` and every project): the gate has nothing to decide. */
export function isUnlimited(limits: KeyLimits): boolean {
  return limits.project_ids === null && limits.scopes.length === 1 && limits.scopes[0] === ALL_SCOPES;
}

export interface RouteNeed {
  scope: ScopeNeed;
  /** The route reaches past any list of projects (deletes them all, makes a new one, acts in another organization). */
  allProjects: boolean;
}

export type ScopeRefusal = {
  required_scope: Scope;
  project_ids?: string[];
  reason?: 'all_projects';
};

/** Why a key may not call a route (the INSUFFICIENT_SCOPE details), or null when it may. */
export function refusal(limits: KeyLimits, need: RouteNeed): ScopeRefusal | null {
  if (need.scope === 'none') return null;
  if (!covers(limits.scopes, need.scope)) return { required_scope: need.scope };
  if (need.allProjects && limits.project_ids !== null) return { required_scope: need.scope, project_ids: [...limits.project_ids], reason: 'all_projects' };
  return null;
}

/** Does a key with these limits reach `projectId`? */
export function reachesProject(limits: KeyLimits, projectId: string): boolean {
  return limits.project_ids === null || limits.project_ids.includes(projectId);
}

/**
 * The refusal of a project a key bound to others reaches for: 403, not 404, since the project is in the
 * key's own organization, which its owner can see anyway.
 */
export function projectNotCovered(principal: Principal, projectId: string): ApiError {
  return HttpErrors.INSUFFICIENT_SCOPE(
    { required_scope: principal.routeScope, project_id: projectId, project_ids: principal.apiKey?.project_ids ?? [] },
    { message: 'This API key is limited to other projects of the organization; see details.project_ids.' },
  );
}

/** Scopes as stored and shown: `*` alone, or the distinct scopes in the order of SCOPES. */
export function normalizeScopes(scopes: readonly Grant[]): Grant[] {
  if (scopes.includes(ALL_SCOPES)) return [ALL_SCOPES];
  return SCOPES.filter((scope) => scopes.includes(scope));
}

/** The stored form (JSON text) read back; anything unreadable grants nothing. */
export function readScopes(stored: string): Grant[] {
  try {
    const parsed = GrantSchema.array().safeParse(JSON.parse(stored));
    return parsed.success ? normalizeScopes(parsed.data) : [];
  } catch {
    return [];
  }
}

export function readProjectIds(stored: string | null): string[] | null {
  if (stored === null) return null;
  try {
    const parsed = z.array(z.string()).safeParse(JSON.parse(stored));
    return parsed.success ? parsed.data : [];
  } catch {
    return [];
  }
}

/** The scopes in `requested` that `held` does not cover (a key never grants what it does not have). */
export function scopesBeyond(held: readonly Grant[], requested: readonly Grant[]): Grant[] {
  return requested.filter((grant) => (grant === ALL_SCOPES ? !held.includes(ALL_SCOPES) : !covers(held, grant)));
}

/** The projects in `requested` (null: every one) that `held` does not reach; `['*']` stands for "every project". */
export function projectsBeyond(held: readonly string[] | null, requested: readonly string[] | null): string[] {
  if (held === null) return [];
  if (requested === null) return ['*'];
  return requested.filter((id) => !held.includes(id));
}
