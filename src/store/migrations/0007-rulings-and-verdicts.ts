import type { Kysely } from 'kysely';

/**
 * Analyst verdicts on findings, and the engine version of each decision.
 *
 * - `findings.check_type`: how the scanner tested for the finding (`remote` network check or
 *   authenticated `local` check; null when the report does not say). A remote check makes an
 *   unknown reachability `reachable` (SPEC §2 rulings).
 * - `findings.ruled_out_by`: the actor whose verdict ruled the finding out (`not_affected` /
 *   `false_positive`); the `ruled_out` stay reason names them. `findings.verdict_at`: when an
 *   analyst last gave a verdict; a re-import keeps the verdict's fields.
 * - `finding_verdicts`: every verdict, with who, when, why (the note), what it set and what the
 *   fields were before, and the decision it led to.
 * - `decisions.engine_version`: the engine code a decision was made with. Every existing decision
 *   was made by engine 1, and `closeloop why` replays it as engine 1
 *   (docs/decisions/decision-records.md).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('findings').addColumn('check_type', 'text').execute();
  await db.schema.alterTable('findings').addColumn('ruled_out_by', 'text').execute();
  await db.schema.alterTable('findings').addColumn('verdict_at', 'text').execute();
  await db.schema.alterTable('decisions').addColumn('engine_version', 'integer', (c) => c.notNull().defaultTo(1)).execute();
  await db.schema
    .createTable('finding_verdicts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('finding_id', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('note', 'text', (c) => c.notNull())
    .addColumn('validation', 'text')
    .addColumn('reachability', 'text')
    .addColumn('containment_needed', 'text')
    .addColumn('before', 'text', (c) => c.notNull())
    .addColumn('decision_id', 'text')
    .execute();
  await db.schema.createIndex('finding_verdicts_by_finding').on('finding_verdicts').columns(['finding_id', 'at']).execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('finding_verdicts').ifExists().execute();
  await db.schema.alterTable('decisions').dropColumn('engine_version').execute();
  await db.schema.alterTable('findings').dropColumn('verdict_at').execute();
  await db.schema.alterTable('findings').dropColumn('ruled_out_by').execute();
  await db.schema.alterTable('findings').dropColumn('check_type').execute();
}
