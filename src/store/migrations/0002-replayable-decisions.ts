import type { Kysely } from 'kysely';

/**
 * Decisions become replayable records instead of carrying their explanation text.
 *
 * A decision keeps what it concluded (outcome, triggers, stay reasons, flags, next actions, SSVC,
 * evidence), the vulnerability facts as they were (`snapshot`) and the SHA-256 of its inputs. The
 * rule lines behind it are produced on demand by `closeloop why`, which replays the pure engine
 * with the run's exact ruleset (stored once per distinct ruleset in `rulesets`) and checks the
 * replay's input digest against the stored one. See docs/decisions/decision-records.md.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('decision_lines').ifExists().execute();
  await db.schema.alterTable('decisions').dropColumn('explanation').execute();
  await db.schema
    .createTable('rulesets')
    .addColumn('digest', 'text', (c) => c.primaryKey())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('first_used_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('triage_runs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('ruleset_digest', 'text', (c) => c.notNull())
    .addColumn('ruleset_version', 'text', (c) => c.notNull())
    .addColumn('import_id', 'text')
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('evaluated', 'integer', (c) => c.notNull())
    .addColumn('counts', 'text', (c) => c.notNull())
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('triage_runs').ifExists().execute();
  await db.schema.dropTable('rulesets').ifExists().execute();
  await db.schema.alterTable('decisions').addColumn('explanation', 'text', (c) => c.notNull().defaultTo('[]')).execute();
  await db.schema
    .createTable('decision_lines')
    .addColumn('run', 'text', (c) => c.notNull())
    .addColumn('n', 'integer', (c) => c.notNull())
    .addColumn('text', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('decision_lines_pk', ['run', 'n'])
    .execute();
}
