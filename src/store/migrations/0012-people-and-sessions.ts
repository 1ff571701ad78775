import type { Kysely } from 'kysely';

/**
 * People, sign-in and background jobs live in the store.
 *
 * - `people`: the people directory (it was the `people` section of closeloop.yaml): a person's
 *   roles (JSON array), their password's scrypt hash (null until one is set), the OpenID Connect
 *   subject they sign in as, and `removed_at` (a removed person keeps their name in the audit log
 *   and cannot act; adding them again restores them). The YAML section is moved in at start, once
 *   (app/people-migration.ts), not by this migration: the store does not read the file.
 * - `api_tokens` gain `expires_at` (null: never) and `last_used_at`.
 * - `web_sessions`: a signed-in browser. Only the SHA-256 of the session id is stored; the CSRF
 *   token is derived from the session id. Idle and absolute timeouts are enforced from
 *   `last_seen_at` and `expires_at`; sign-out and revocation set `revoked_at`.
 * - `password_links`: one-time set-password links (only the SHA-256 of the link's token).
 * - `oidc_logins`: a sign-in under way with the identity provider (state, PKCE verifier, nonce),
 *   kept in the store so that the callback may reach another server behind a load balancer.
 * - `jobs`: work that outlives a request (an uploaded scanner report's import), polled by id.
 *
 * New tables and nullable columns only: existing rows are untouched.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('people')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('roles', 'text', (c) => c.notNull())
    .addColumn('display_name', 'text')
    .addColumn('email', 'text')
    .addColumn('password_hash', 'text')
    .addColumn('oidc_subject', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('removed_at', 'text')
    .execute();
  await db.schema.createIndex('people_by_oidc_subject').on('people').column('oidc_subject').unique().execute();

  await db.schema.alterTable('api_tokens').addColumn('expires_at', 'text').execute();
  await db.schema.alterTable('api_tokens').addColumn('last_used_at', 'text').execute();

  await db.schema
    .createTable('web_sessions')
    .addColumn('id_hash', 'text', (c) => c.primaryKey())
    .addColumn('person', 'text', (c) => c.notNull())
    .addColumn('via', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('last_seen_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('revoked_at', 'text')
    .execute();
  await db.schema.createIndex('web_sessions_by_person').on('web_sessions').column('person').execute();

  await db.schema
    .createTable('password_links')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('person', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('used_at', 'text')
    .execute();

  await db.schema
    .createTable('oidc_logins')
    .addColumn('state', 'text', (c) => c.primaryKey())
    .addColumn('code_verifier', 'text', (c) => c.notNull())
    .addColumn('nonce', 'text', (c) => c.notNull())
    .addColumn('return_to', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('jobs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('input', 'text', (c) => c.notNull())
    .addColumn('progress', 'text')
    .addColumn('result', 'text')
    .addColumn('error', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('jobs_by_actor').on('jobs').columns(['actor', 'created_at']).execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['jobs', 'oidc_logins', 'password_links', 'web_sessions', 'people']) await db.schema.dropTable(t).ifExists().execute();
  await db.schema.alterTable('api_tokens').dropColumn('last_used_at').execute();
  await db.schema.alterTable('api_tokens').dropColumn('expires_at').execute();
}
