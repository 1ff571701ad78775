import type { Kysely } from 'kysely';

/**
 * Versioned control card. `control_card_versions` holds one row per card version the store has run
 * with: the card as canonical JSON, its SHA-256, when it was recorded (took effect) and by whom.
 * Incidents gain `control_card_version`, the version in force when each was opened.
 *
 * Nothing is recorded here: which card an existing store ran with is in closeloop.yaml, not in the
 * store, so the first start after the upgrade records the current card as its version
 * (app/control-card.ts). Existing incidents keep null ("before versioning"): earlier versions
 * recorded the card only when `init` or the server's first start ran, and never refused an edited
 * card with an unchanged version, so which card was in force when each was opened is not exact.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('control_card_versions')
    .addColumn('version', 'integer', (c) => c.primaryKey())
    .addColumn('card', 'text', (c) => c.notNull())
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('recorded_at', 'text', (c) => c.notNull())
    .addColumn('recorded_by', 'text', (c) => c.notNull())
    .execute();
  await db.schema.alterTable('incidents').addColumn('control_card_version', 'integer').execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('incidents').dropColumn('control_card_version').execute();
  await db.schema.dropTable('control_card_versions').execute();
}
