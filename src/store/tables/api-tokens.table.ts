import type { Insertable, Selectable, Updateable } from 'kysely';

export interface ApiTokensTable {
  id: string;
  actor: string;
  token_hash: string;
  label: string | null;
  created_at: string;
  revoked_at: string | null;
  /** When the token stops working; null: never. */
  expires_at: string | null;
  last_used_at: string | null;
}

export type ApiToken = Selectable<ApiTokensTable>;
export type NewApiToken = Insertable<ApiTokensTable>;
export type ApiTokenUpdate = Updateable<ApiTokensTable>;
