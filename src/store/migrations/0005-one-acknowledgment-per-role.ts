import type { Kysely } from 'kysely';

/**
 * One acknowledgment per incident and role, and the report-out revision it acknowledged.
 *
 * A role acknowledges an incident's report-out once (the closure gate and the reminders count
 * roles, whatever revision); the unique key `acknowledgments_once` makes that a rule of the store,
 * so two holders of one role acknowledging at once on two servers leave one row. Each row now
 * records `revision`, the report-out revision (counter `reportout:<INC>`) last sent before it was
 * given. Keyed by incident and role, not by revision too: a key with the revision would let one
 * role acknowledge again after every re-send, which the workflow does not ask for.
 *
 * Existing rows: `revision` is read from the idempotency keys (`reportout:INC:rN:…`) of the
 * incident's report-out notifications queued at or before the acknowledgment (1 when none says).
 * Rows that a race let in before the key existed (a second acknowledgment of one role) move to
 * `acknowledgments_duplicate`, the earliest staying: kept, never counted; the audit chain holds
 * both events either way.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('acknowledgments').addColumn('revision', 'integer', (c) => c.notNull().defaultTo(1)).execute();
  await db.schema
    .createTable('acknowledgments_duplicate')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('incident_id', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('comment', 'text')
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('revision', 'integer', (c) => c.notNull())
    .execute();

  const acks = (await db.selectFrom('acknowledgments').select(['id', 'incident_id', 'role', 'at']).orderBy('at').orderBy('id').execute()) as { id: string; incident_id: string; role: string; at: string }[];
  const seen = new Set<string>();
  for (const a of acks) {
    const keys = (await db
      .selectFrom('notifications')
      .select('idempotency_key')
      .where('incident_id', '=', a.incident_id)
      .where('purpose', '=', 'reportout')
      .where('created_at', '<=', a.at)
      .execute()) as { idempotency_key: string }[];
    let revision = 1;
    for (const k of keys) {
      const m = /^reportout:[^:]+:r(\d+):/.exec(k.idempotency_key);
      if (m?.[1] !== undefined) revision = Math.max(revision, Number(m[1]));
    }
    await db.updateTable('acknowledgments').set({ revision }).where('id', '=', a.id).execute();
    const key = JSON.stringify([a.incident_id, a.role]);
    if (!seen.has(key)) {
      seen.add(key);
      continue;
    }
    await db.insertInto('acknowledgments_duplicate').expression(db.selectFrom('acknowledgments').selectAll().where('id', '=', a.id)).execute();
    await db.deleteFrom('acknowledgments').where('id', '=', a.id).execute();
  }
  await db.schema.createIndex('acknowledgments_once').on('acknowledgments').columns(['incident_id', 'role']).unique().execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('acknowledgments_once').ifExists().execute();
  await db.schema.dropTable('acknowledgments_duplicate').ifExists().execute();
  await db.schema.alterTable('acknowledgments').dropColumn('revision').execute();
}
