import type { Grant, Scope } from '../keys/scopes.js';
import type { OrganizationsTable, OrgRole } from '../orgs/tables.js';

/** What the gate knows of a key's organization (its limits and allow-list come with it). */
export type PrincipalOrg = Pick<OrganizationsTable, 'id' | 'name' | 'slug' | 'plan' | 'rate_limit' | 'allowed_ips'>;

interface PrincipalUser {
  id: string;
  email: string;
  name: string | null;
}

/**
 * A caller with an API key: bound to one organization, with the key's owner's role in it.
 * `ends_at`: when the key stops working (its expiry, or the end of a rotation's overlap), null if never.
 * `scopes` and `project_ids`: what it may do and which projects it reaches (null: all), see keys/scopes.ts.
 */
export interface ApiKeyPrincipal {
  via: 'api_key';
  user: PrincipalUser;
  org: PrincipalOrg;
  role: OrgRole;
  apiKey: {
    id: string;
    name: string;
    last_four: string;
    allowed_ips: string | null;
    ends_at: number | null;
    scopes: readonly Grant[];
    project_ids: readonly string[] | null;
  };
  session: null;
  /**
   * For a key bound to projects: the scope the route being called needs, so that refusing a project
   * further in can name it (the gate sets it on a per-request copy; unbound keys never carry it).
   */
  routeScope?: Scope;
}

/** A person in the web app: not bound to an organization (routes name it), not limited by scopes. */
export interface SessionPrincipal {
  via: 'session';
  user: PrincipalUser;
  org: null;
  role: null;
  apiKey: null;
  session: { id: string; expires_at: number };
  routeScope?: undefined;
}

/** Who is calling, as the auth gate established it. Routes decide what that caller may do. */
export type Principal = ApiKeyPrincipal | SessionPrincipal;
