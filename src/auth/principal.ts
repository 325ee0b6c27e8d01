import type { Grant, Scope } from '../keys/scopes.js';
import type { OrgRole, Plan } from '../orgs/tables.js';

export interface PrincipalOrg {
  id: string;
  name: string;
  slug: string;
  plan: Plan;
  rate_limit: number | null;
  allowed_ips: string | null;
}

/** Who is calling, as the auth gate established it. Routes decide what that caller may do. */
export interface Principal {
  via: 'api_key' | 'session';
  user: { id: string; email: string; name: string | null };
  /** An API key is bound to one organization; a session is not (routes name the organization). */
  org: PrincipalOrg | null;
  role: OrgRole | null;
  /**
   * `ends_at`: when the key stops working (its expiry, or the end of a rotation's overlap), null if never.
   * `scopes` and `project_ids`: what it may do and which projects it reaches (null: all), see keys/scopes.ts.
   */
  apiKey: {
    id: string;
    name: string;
    last_four: string;
    allowed_ips: string | null;
    ends_at: number | null;
    scopes: readonly Grant[];
    project_ids: readonly string[] | null;
  } | null;
  session: { id: string; expires_at: number } | null;
  /**
   * For a key bound to projects: the scope the route being called needs, so that refusing a project
   * further in can name it (the gate sets it on a per-request copy; unbound keys never carry it).
   */
  routeScope?: Scope;
}
