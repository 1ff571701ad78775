import type { ControlCardVersionRow, Db, NewControlCardVersionRow } from '../schema.js';

/** The recorded control card versions. The rules (what a version is, when one may be recorded) are in app/control-card.ts. */

/** The row of card version `version`, if recorded. */
export function findControlCardVersion(db: Db, version: number): Promise<ControlCardVersionRow | undefined> {
  return db.selectFrom('control_card_versions').selectAll().where('version', '=', version).executeTakeFirst();
}

/**
 * Inserts `row` unless its version is recorded already: true when it was inserted. Of two
 * processes recording one version at once, exactly one inserts.
 */
export async function insertControlCardVersionIfAbsent(db: Db, row: NewControlCardVersionRow): Promise<boolean> {
  const r = await db.insertInto('control_card_versions').values(row).onConflict((oc) => oc.column('version').doNothing()).executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0n) > 0;
}

/** Every recorded version, in the order they took effect. */
export function listControlCardVersions(db: Db): Promise<ControlCardVersionRow[]> {
  return db.selectFrom('control_card_versions').selectAll().orderBy('recorded_at').orderBy('version').execute();
}
