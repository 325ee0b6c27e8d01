export interface UsersTable {
  id: string;
  /** Normalised (trimmed, lower-case); unique. */
  email: string;
  name: string | null;
  email_verified_at: number | null;
  password_hash: string | null;
  disabled_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface AccountTables {
  users: UsersTable;
}
