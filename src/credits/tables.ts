export const LEDGER_KINDS = ['grant', 'debit'] as const;
export type LedgerKind = (typeof LEDGER_KINDS)[number];

/** Every change of an organization's credits; amounts in micro-credits (1 credit = 1,000,000). */
export interface CreditLedgerTable {
  id: string;
  org_id: string;
  kind: LedgerKind;
  /** Positive for both kinds; the kind says which way it goes. */
  amount_micros: number;
  reason: string | null;
  idempotency_key: string | null;
  actor_user_id: string | null;
  created_at: number;
}

/** Running totals of the ledger, changed in the same transaction as each ledger row (the no-overdraft guard). */
export interface CreditBalancesTable {
  org_id: string;
  granted_micros: number;
  used_micros: number;
}

export interface CreditTables {
  credit_ledger: CreditLedgerTable;
  credit_balances: CreditBalancesTable;
}
