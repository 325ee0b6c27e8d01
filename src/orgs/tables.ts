export type OrgRole = 'owner' | 'admin' | 'member';
export type Plan = 'free' | 'pro' | 'enterprise';

export interface OrganizationsTable {
  id: string;
  name: string;
  slug: string;
  plan: Plan;
  /** Requests per hour per key; only used (and required) on the enterprise plan. */
  rate_limit: number | null;
  /** JSON array of IPs/CIDRs; null = any address. */
  allowed_ips: string | null;
  created_at: number;
  updated_at: number;
}

export interface MembershipsTable {
  org_id: string;
  user_id: string;
  role: OrgRole;
  created_at: number;
}

export interface OrgTables {
  organizations: OrganizationsTable;
  memberships: MembershipsTable;
}
