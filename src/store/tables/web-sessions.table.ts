import type { Insertable, Selectable } from 'kysely';

/** A signed-in browser. Only the SHA-256 of the session id is stored. */
export interface WebSessionsTable {
  id_hash: string;
  person: string;
  /** How the person signed in: `password` or `oidc`. */
  via: 'password' | 'oidc';
  created_at: string;
  last_seen_at: string;
  /** The absolute timeout. */
  expires_at: string;
  revoked_at: string | null;
}

export type WebSession = Selectable<WebSessionsTable>;
export type NewWebSession = Insertable<WebSessionsTable>;

/** A one-time set-password link; only the SHA-256 of its token is stored. */
export interface PasswordLinksTable {
  token_hash: string;
  person: string;
  created_at: string;
  expires_at: string;
  used_at: string | null;
}

export type PasswordLink = Selectable<PasswordLinksTable>;

/** An OpenID Connect sign-in under way: what the callback needs to finish it. */
export interface OidcLoginsTable {
  state: string;
  code_verifier: string;
  nonce: string;
  return_to: string | null;
  created_at: string;
}

export type OidcLogin = Selectable<OidcLoginsTable>;
