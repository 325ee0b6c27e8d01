import { z } from 'zod';
import { PLAN_NAMES, type Plan } from '../orgs/tables.js';

export const PlanSchema = z.enum(PLAN_NAMES);

/** What each plan includes. Enterprise limits are set per organization by the operator. */
export const PLANS: Record<Plan, { requestsPerHour: number; monthlyCredits: number }> = {
  free: { requestsPerHour: 1_000, monthlyCredits: 100 },
  pro: { requestsPerHour: 10_000, monthlyCredits: 10_000 },
  enterprise: { requestsPerHour: 100_000, monthlyCredits: 0 },
};

/** Requests per hour per key for an organization: the plan's, or the operator's figure on enterprise. */
export function requestsPerHour(org: { plan: Plan; rate_limit: number | null }): number {
  return org.plan === 'enterprise' && org.rate_limit !== null ? org.rate_limit : PLANS[org.plan].requestsPerHour;
}
