import type { Db, NewWebSession, OidcLogin, PasswordLink, WebSession } from '../schema.js';

/**
 * Browser sessions, set-password links and OpenID Connect sign-ins under way. Only hashes of the
 * secrets (session id, link token) are stored; an OIDC login's state is the provider's round-trip
 * value and its PKCE verifier must be read back at the callback, so they are kept as they are for
 * the few minutes a sign-in takes.
 */

export async function insertWebSession(db: Db, row: NewWebSession): Promise<void> {
  await db.insertInto('web_sessions').values(row).execute();
}

export function findWebSession(db: Db, idHash: string): Promise<WebSession | undefined> {
  return db.selectFrom('web_sessions').selectAll().where('id_hash', '=', idHash).executeTakeFirst();
}

/** Records a request of the session, unless one was recorded after `unlessAfter` already (another server, a parallel request). */
export async function touchWebSession(db: Db, idHash: string, at: string, unlessAfter: string): Promise<void> {
  await db.updateTable('web_sessions').set({ last_seen_at: at }).where('id_hash', '=', idHash).where('last_seen_at', '<=', unlessAfter).execute();
}

/** Forgets sessions past their absolute timeout before `before` (they can no longer be used; the audit chain keeps their start and end). */
export async function deleteWebSessionsExpiredBefore(db: Db, before: string): Promise<void> {
  await db.deleteFrom('web_sessions').where('expires_at', '<', before).execute();
}

/** Revokes one session; true when it was live. */
export async function revokeWebSession(db: Db, idHash: string, at: string): Promise<boolean> {
  const r = await db.updateTable('web_sessions').set({ revoked_at: at }).where('id_hash', '=', idHash).where('revoked_at', 'is', null).executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** Revokes every session of `person` not revoked yet and not past its absolute timeout; how many. */
export async function revokeWebSessionsOf(db: Db, person: string, at: string): Promise<number> {
  const r = await db
    .updateTable('web_sessions')
    .set({ revoked_at: at })
    .where('person', '=', person)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', at)
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

export async function insertPasswordLink(db: Db, row: PasswordLink): Promise<void> {
  await db.insertInto('password_links').values(row).execute();
}

export function findPasswordLink(db: Db, tokenHash: string): Promise<PasswordLink | undefined> {
  return db.selectFrom('password_links').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
}

/** Marks a link used, only if nobody used it first: true for the one caller that did. */
export async function usePasswordLinkRow(db: Db, tokenHash: string, at: string): Promise<boolean> {
  const r = await db.updateTable('password_links').set({ used_at: at }).where('token_hash', '=', tokenHash).where('used_at', 'is', null).executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

export async function insertOidcLogin(db: Db, row: OidcLogin): Promise<void> {
  await db.insertInto('oidc_logins').values(row).execute();
}

/** Takes the login under way of `state` out of the store (it is good for one callback); undefined when there is none. */
export async function takeOidcLogin(db: Db, state: string): Promise<OidcLogin | undefined> {
  const row = await db.selectFrom('oidc_logins').selectAll().where('state', '=', state).executeTakeFirst();
  if (row === undefined) return undefined;
  const r = await db.deleteFrom('oidc_logins').where('state', '=', state).executeTakeFirst();
  return Number(r.numDeletedRows) > 0 ? row : undefined;
}

/** Forgets logins begun before `before` (abandoned at the provider). */
export async function deleteOidcLoginsBefore(db: Db, before: string): Promise<void> {
  await db.deleteFrom('oidc_logins').where('created_at', '<', before).execute();
}

/** The name of the person (removed or not) whose OpenID Connect subject is `subject`. */
export async function personByOidcSubject(db: Db, subject: string): Promise<string | undefined> {
  const row = await db.selectFrom('people').select('name').where('oidc_subject', '=', subject).executeTakeFirst();
  return row?.name;
}
