export interface AgentOtpsTable {
  /** Normalised e-mail; one pending code per address (a new sign-up replaces it). */
  email: string;
  /** HMAC of the code under the server secret; the code itself is never stored. */
  code_hmac: string;
  attempts: number;
  created_at: number;
  expires_at: number;
  consumed_at: number | null;
}

export interface AgentTables {
  agent_otps: AgentOtpsTable;
}
