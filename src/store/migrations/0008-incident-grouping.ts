import { sql, type Kysely } from 'kysely';

/**
 * One incident per event (docs/decisions/incident-grouping.md).
 *
 * - `incident_keys`: the grouping keys an incident's scope lists (`asset:<id>`, `vuln:<id>` for the
 *   vulnerability and each alias), indexed by key so an escalation chunk finds the open incident of
 *   its keys in one statement.
 * - `incident_follows`: the closed incident a new one follows (a closed incident is never reused).
 * - `handoff_revisions`: the revisions of an incident's handoff (one per run that hands it
 *   findings), each queued to the IR lead once.
 *
 * Existing data: an incident that decisions escalated to lists the asset and the vulnerability of
 * each (the pairs it was grouped by until now), and an incident with handoff notes has had its
 * revision 1.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('incident_keys')
    .addColumn('incident_id', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('incident_keys_pk', ['incident_id', 'key'])
    .execute();
  await db.schema.createIndex('incident_keys_by_key').on('incident_keys').columns(['key', 'incident_id']).execute();
  await db.schema
    .createTable('incident_follows')
    .addColumn('incident_id', 'text', (c) => c.primaryKey())
    .addColumn('follows', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('handoff_revisions')
    .addColumn('incident_id', 'text', (c) => c.notNull())
    .addColumn('revision', 'integer', (c) => c.notNull())
    .addColumn('added', 'text', (c) => c.notNull())
    .addColumn('markdown', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('handoff_revisions_pk', ['incident_id', 'revision'])
    .execute();

  for (const [prefix, column] of [['asset:', 'asset_id'], ['vuln:', 'vulnerability_id']] as const) {
    await sql`INSERT INTO incident_keys (incident_id, key) SELECT DISTINCT incident_id, ${prefix} || ${sql.ref(column)} FROM decisions WHERE incident_id IS NOT NULL`.execute(db);
  }
  await sql`INSERT INTO handoff_revisions (incident_id, revision, added, markdown, created_at) SELECT incident_id, 1, '[]', ${'the handoff notes sent before revisions were recorded'}, MIN(created_at) FROM handoff_notes GROUP BY incident_id`.execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('handoff_revisions').ifExists().execute();
  await db.schema.dropTable('incident_follows').ifExists().execute();
  await db.schema.dropTable('incident_keys').ifExists().execute();
}
