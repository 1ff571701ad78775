import type { ApiToken, Db, NewApiToken } from '../schema.js';

/** API tokens: only a token's SHA-256 is stored, never the token. */

export async function insertApiToken(db: Db, row: NewApiToken): Promise<void> {
  await db.insertInto('api_tokens').values(row).execute();
}

/** What is needed to accept a token: its id, actor, expiry, revocation and last use. */
export type TokenCheck = Pick<ApiToken, 'id' | 'actor' | 'revoked_at' | 'expires_at' | 'last_used_at'>;

/** The token whose hash is `tokenHash`. */
export function findApiTokenByHash(db: Db, tokenHash: string): Promise<TokenCheck | undefined> {
  return db.selectFrom('api_tokens').select(['id', 'actor', 'revoked_at', 'expires_at', 'last_used_at']).where('token_hash', '=', tokenHash).executeTakeFirst();
}

/** A token as it is listed: everything but its hash. */
export type TokenListing = Omit<ApiToken, 'token_hash'>;

const LISTED = ['id', 'actor', 'label', 'created_at', 'expires_at', 'last_used_at', 'revoked_at'] as const;

/** The tokens, by id, optionally of one actor; never their hashes. */
export async function listApiTokens(db: Db, actor?: string): Promise<TokenListing[]> {
  let q = db.selectFrom('api_tokens').select(LISTED).orderBy('id');
  if (actor !== undefined) q = q.where('actor', '=', actor);
  return q.execute();
}

export function findApiToken(db: Db, id: string): Promise<TokenListing | undefined> {
  return db.selectFrom('api_tokens').select(LISTED).where('id', '=', id).executeTakeFirst();
}

/** Revokes a token that is not revoked yet: false when it already was (or does not exist). */
export async function revokeApiToken(db: Db, id: string, at: string): Promise<boolean> {
  const r = await db.updateTable('api_tokens').set({ revoked_at: at }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/**
 * Records a use of the token unless one was recorded since `since` (conditional: of many requests
 * within the minute, one writes).
 */
export async function touchApiToken(db: Db, id: string, at: string, since: string): Promise<void> {
  await db
    .updateTable('api_tokens')
    .set({ last_used_at: at })
    .where('id', '=', id)
    .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', since)]))
    .execute();
}
