import type { Kysely } from 'kysely';

/**
 * `incident list` and `GET /incidents` page through incidents in creation order (`created_at`,
 * then `id`, a keyset cursor): one `closeloop triage --escalate` over a million findings opens
 * ~20,000 of them, and each page is then an index range instead of a sort of the whole table.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('incidents_created').on('incidents').columns(['created_at', 'id']).execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('incidents_created').ifExists().execute();
}
