/** Highest first: an owner can do what an admin can, an admin what a member can. */
export const ORG_ROLES = ['owner', 'admin', 'member'] as const;
export type OrgRole = (typeof ORG_ROLES)[number];
export const PLAN_NAMES = ['free', 'pro', 'enterprise'] as const;
export type Plan = (typeof PLAN_NAMES)[number];
/** Roles an invitation can carry; owners are made by promotion or transfer, never by invitation. */
export const INVITATION_ROLES = ['admin', 'member'] as const;
export type InvitationRole = (typeof INVITATION_ROLES)[number];
export const INVITATION_STATUSES = ['pending', 'accepted', 'canceled', 'expired'] as const;
export type InvitationStatus = (typeof INVITATION_STATUSES)[number];

export interface OrganizationsTable {
  id: string;
  name: string;
  slug: string;
  plan: Plan;
  /** Requests per hour per key; only used (and required) on the enterprise plan. */
  rate_limit: number | null;
  /** JSON array of IPs/CIDRs; null = any address. */
  allowed_ips: string | null;
  /** 1: key owners are mailed a week before a key expires; 0: not. */
  key_expiry_mails: number;
  /** 1: owners and admins get a weekly digest of keys unused for 90 days; 0: not. */
  unused_keys_digest: number;
  created_at: number;
  updated_at: number;
}

export interface MembershipsTable {
  org_id: string;
  user_id: string;
  role: OrgRole;
  created_at: number;
}

/**
 * An e-mailed invitation to join an organization. Only the HMAC of the token is stored. A unique
 * partial index allows one pending invitation per (organization, e-mail).
 */
export interface InvitationsTable {
  id: string;
  org_id: string;
  /** Normalised e-mail address of the invitee. */
  email: string;
  role: InvitationRole;
  token_hash: string;
  invited_by: string;
  created_at: number;
  expires_at: number;
  accepted_at: number | null;
  accepted_by: string | null;
  canceled_at: number | null;
}

export interface OrgTables {
  organizations: OrganizationsTable;
  memberships: MembershipsTable;
  invitations: InvitationsTable;
}
