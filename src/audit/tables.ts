export const OUTCOMES = ['success', 'failure'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export interface AuditLogTable {
  id: string;
  org_id: string | null;
  actor_user_id: string | null;
  actor_key_id: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  ip: string | null;
  user_agent: string | null;
  outcome: Outcome;
  /** JSON object; never a secret. */
  details: string | null;
  created_at: number;
}

export interface AuditTables {
  audit_log: AuditLogTable;
}
