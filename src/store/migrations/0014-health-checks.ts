import type { Kysely } from 'kysely';

/**
 * Control health checks (SPEC §5): a check over a period (`health_checks`), the incidents it
 * sampled with the four answers computed from the records (`health_check_samples`), the
 * reviewers' notes (`health_check_notes`) and every gap as a control finding with its owner and
 * remediation item (`control_findings`). New tables only: existing rows are untouched.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('health_checks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('period_from', 'text', (c) => c.notNull())
    .addColumn('period_to', 'text', (c) => c.notNull())
    .addColumn('sample_size', 'integer', (c) => c.notNull())
    .addColumn('seed', 'text', (c) => c.notNull())
    .addColumn('stratify', 'text')
    .addColumn('method', 'text', (c) => c.notNull())
    .addColumn('strata', 'text', (c) => c.notNull())
    .addColumn('population', 'integer', (c) => c.notNull())
    .addColumn('sampled', 'integer', (c) => c.notNull())
    .addColumn('passed', 'integer', (c) => c.notNull())
    .addColumn('control_id', 'text', (c) => c.notNull())
    .addColumn('control_version', 'integer', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('health_check_samples')
    .addColumn('health_check_id', 'text', (c) => c.notNull())
    .addColumn('incident_id', 'text', (c) => c.notNull())
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('stratum', 'text', (c) => c.notNull())
    .addColumn('answers', 'text', (c) => c.notNull())
    .addColumn('passed', 'integer', (c) => c.notNull())
    .addColumn('reopened', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('health_check_samples_pk', ['health_check_id', 'incident_id'])
    .execute();
  await db.schema
    .createTable('health_check_notes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('health_check_id', 'text', (c) => c.notNull())
    .addColumn('incident_id', 'text', (c) => c.notNull())
    .addColumn('author', 'text', (c) => c.notNull())
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('health_check_notes_by_check').on('health_check_notes').columns(['health_check_id', 'incident_id']).execute();
  await db.schema
    .createTable('control_findings')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('health_check_id', 'text', (c) => c.notNull())
    .addColumn('incident_id', 'text', (c) => c.notNull())
    .addColumn('question', 'text', (c) => c.notNull())
    .addColumn('subject', 'text')
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('owner_role', 'text', (c) => c.notNull())
    .addColumn('remediation_item_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('control_findings_by_check').on('control_findings').column('health_check_id').execute();
  await db.schema.createIndex('control_findings_by_item').on('control_findings').column('remediation_item_id').execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('control_findings').ifExists().execute();
  await db.schema.dropTable('health_check_notes').ifExists().execute();
  await db.schema.dropTable('health_check_samples').ifExists().execute();
  await db.schema.dropTable('health_checks').ifExists().execute();
}
