import type { Kysely } from 'kysely';

/**
 * Tickets in Jira and ServiceNow that closeloop created (or found) for a queued message: which
 * message and remediation item each belongs to, the system's key (`SEC-12`, `INC0010001`) and own
 * id (issue id, `sys_id`), its link, and the status last seen there and when. The remediation
 * item keeps the key in its `ticket` column as before; this table holds what two-way status needs.
 *
 * New table only: existing rows are untouched, and items whose `ticket` was typed by hand keep it
 * (they have no row here, so their status is not synced).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('tickets')
    .addColumn('notification_id', 'text', (c) => c.primaryKey())
    .addColumn('system', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('external_id', 'text', (c) => c.notNull())
    .addColumn('url', 'text')
    .addColumn('incident_id', 'text')
    .addColumn('item_id', 'text')
    .addColumn('external_status', 'text')
    .addColumn('synced_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('tickets_by_key').on('tickets').columns(['system', 'key']).execute();
  await db.schema.createIndex('tickets_by_external_id').on('tickets').columns(['system', 'external_id']).execute();
  await db.schema.createIndex('tickets_by_item').on('tickets').column('item_id').execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('tickets').ifExists().execute();
}
