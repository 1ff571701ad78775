import type { ApiToken, Db, NewApiToken } from '../schema.js';

/** API tokens: only a token's SHA-256 is stored, never the token. */

export async function insertApiToken(db: Db, row: NewApiToken): Promise<void> {
  await db.insertInto('api_tokens').values(row).execute();
}

/** The token whose hash is `tokenHash`: its actor, and when it was revoked (null while valid). */
export function findApiTokenByHash(db: Db, tokenHash: string): Promise<Pick<ApiToken, 'actor' | 'revoked_at'> | undefined> {
  return db.selectFrom('api_tokens').select(['actor', 'revoked_at']).where('token_hash', '=', tokenHash).executeTakeFirst();
}
