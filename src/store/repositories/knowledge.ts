import type { AdvisoryStatementsTable, AssetsTable, Db, FindingsTable, SignalsTable, VulnerabilitiesTable } from '../schema.js';

/**
 * The facts the escalation engine reads beside a finding, one finding (`why`) or one chunk of
 * escalations at a time (a million findings' worth goes through store/bulk instead).
 */

/** A finding's row, for `why` (which replays its decision). */
export function findingById(db: Db, id: string): Promise<FindingsTable | undefined> {
  return db.selectFrom('findings').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The rows of a chunk's findings: an escalation's note quotes the finding's own words. */
export function findingsByIds(db: Db, ids: readonly string[]): Promise<FindingsTable[]> {
  return db.selectFrom('findings').selectAll().where('id', 'in', ids).execute();
}

/** An asset's row (`why` reads it beside a finding; advisories check the asset exists). */
export function assetById(db: Db, id: string): Promise<AssetsTable | undefined> {
  return db.selectFrom('assets').selectAll().where('id', '=', id).executeTakeFirst();
}

/** A vulnerability's row: `why` takes its words (title, references) from it. */
export function vulnerabilityById(db: Db, id: string): Promise<VulnerabilitiesTable | undefined> {
  return db.selectFrom('vulnerabilities').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The rows of a chunk's vulnerabilities: a handoff note gives their title and references. */
export function vulnerabilitiesByIds(db: Db, ids: readonly string[]): Promise<VulnerabilitiesTable[]> {
  return db.selectFrom('vulnerabilities').selectAll().where('id', 'in', ids).execute();
}

/** An asset's signals, by time. */
export function signalsOfAsset(db: Db, assetId: string): Promise<SignalsTable[]> {
  return db.selectFrom('signals').selectAll().where('asset_id', '=', assetId).orderBy('time').execute();
}

/** The advisory statements about any of these vulnerability ids (a finding's vulnerability and its aliases). */
export function advisoriesOfVulnerabilities(db: Db, ids: readonly string[]): Promise<AdvisoryStatementsTable[]> {
  return db.selectFrom('advisory_statements').selectAll().where('vulnerability_id', 'in', ids).execute();
}

/** Every advisory statement (usually few: stored triage loads them whole). */
export function allAdvisoryStatements(db: Db): Promise<AdvisoryStatementsTable[]> {
  return db.selectFrom('advisory_statements').selectAll().execute();
}

/** Stores an advisory statement unless one with its id (a digest of its content) is stored; true when it was inserted. */
export async function insertAdvisoryStatement(db: Db, row: AdvisoryStatementsTable): Promise<boolean> {
  const r = await db.insertInto('advisory_statements').values(row).onConflict((oc) => oc.column('id').doNothing()).executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
}
