import type { Db, FindingRow } from '../schema.js';

/** Findings, one at a time or by what they name (bulk reads and writes are in store/bulk). */

/** The finding with that id; throws (Kysely's NoResultError) when there is none. */
export function getFinding(db: Db, id: string): Promise<FindingRow> {
  return db.selectFrom('findings').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

/**
 * The unvalidated findings that may name one of `vulnerabilityKeys` (ids trimmed and lower-cased):
 * those whose vulnerability is one of them, and every one with aliases, which the caller compares
 * itself. One scan; only ids, vulnerabilities and aliases are read. (SQLite's lower() folds ASCII
 * letters only.)
 */
export function unvalidatedFindingsNaming(db: Db, vulnerabilityKeys: readonly string[]): Promise<Pick<FindingRow, 'id' | 'vulnerability_id' | 'aliases'>[]> {
  return db
    .selectFrom('findings')
    .select(['id', 'vulnerability_id', 'aliases'])
    .where('validation', '=', 'unvalidated')
    .where((eb) => eb.or([eb(eb.fn('lower', [eb.fn('trim', ['vulnerability_id'])]), 'in', vulnerabilityKeys), eb('aliases', '<>', '[]')]))
    .execute();
}

/** Marks a finding not affected, with the `extra` (JSON) that records the advisory statement why. */
export async function markFindingNotAffected(db: Db, id: string, extra: string): Promise<void> {
  await db.updateTable('findings').set({ validation: 'not_affected', extra }).where('id', '=', id).execute();
}
