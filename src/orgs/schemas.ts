import { z } from 'zod';
import { OrgRoleSchema } from '../access/orgs.js';
import { PlanSchema } from '../credits/plans.js';
import { rosterSchema, rosterView, singleLine, Timestamp } from '../http/schemas.js';

import { isoTime } from '../lib/time.js';
import { SlugSchema } from '../lib/slug.js';
import { readAllowList } from '../lib/allow-list.js';
import type { MemberRow } from './service.js';
import { INVITATION_ROLES, type OrganizationsTable, type OrgRole } from './tables.js';

export const InvitationRoleSchema = z.enum(INVITATION_ROLES);

export const NameSchema = singleLine(100);
export const OrgSlugSchema = SlugSchema;
/** An organization by id (`org_…`) or slug. */

export const OrganizationSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    slug: z.string(),
    plan: PlanSchema,
    allowed_ips: z.array(z.string()).meta({ description: 'Empty: any address' }),
    key_expiry_mails: z.boolean().meta({ description: "Each key's owner is mailed a week before the key expires" }),
    unused_keys_digest: z.boolean().meta({ description: 'Owners and admins get a weekly digest of keys unused for 90 days' }),
    role: OrgRoleSchema.meta({ description: "The caller's role in this organization" }),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .meta({ id: 'Organization' });

export function organizationView(org: OrganizationsTable, role: OrgRole): z.infer<typeof OrganizationSchema> {
  return {
    id: org.id,
    name: org.name,
    slug: org.slug,
    plan: org.plan,
    allowed_ips: readAllowList(org.allowed_ips),
    key_expiry_mails: org.key_expiry_mails === 1,
    unused_keys_digest: org.unused_keys_digest === 1,
    role,
    created_at: isoTime(org.created_at),
    updated_at: isoTime(org.updated_at),
  };
}

export const MemberSchema = rosterSchema(OrgRoleSchema, 'Member');
export const memberView = (row: MemberRow): z.infer<typeof MemberSchema> => rosterView(row);
