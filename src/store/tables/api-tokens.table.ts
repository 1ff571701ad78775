import type { Insertable, Selectable, Updateable } from 'kysely';

export interface ApiTokensTable {
  id: string;
  actor: string;
  token_hash: string;
  label: string | null;
  created_at: string;
  revoked_at: string | null;
}

export type ApiToken = Selectable<ApiTokensTable>;
export type NewApiToken = Insertable<ApiTokensTable>;
export type ApiTokenUpdate = Updateable<ApiTokensTable>;
