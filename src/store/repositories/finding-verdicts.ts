import type { Db, FindingRow } from '../schema.js';
import type { FindingVerdictRow, NewFindingVerdictRow } from '../tables/finding-verdicts.table.js';
import type { FindingsTable } from '../tables/findings.table.js';

/** Analyst verdicts on findings (`closeloop finding set`), and the finding fields they own. */

/**
 * The finding, read and held until the transaction ends (a no-op update takes the row lock on
 * PostgreSQL; SQLite writers already take turns): two verdicts on one finding at once apply one
 * after the other, each recording what the other left as its `before`.
 */
export function lockFinding(db: Db, id: string): Promise<FindingRow | undefined> {
  return db
    .updateTable('findings')
    .set((eb) => ({ verdict_at: eb.ref('verdict_at') }))
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}

/** Writes the fields a verdict owns on the finding. */
export async function setVerdictFields(
  db: Db,
  id: string,
  fields: Pick<FindingsTable, 'validation' | 'reachability' | 'containment_needed' | 'ruled_out_by' | 'verdict_at'>,
): Promise<void> {
  await db.updateTable('findings').set(fields).where('id', '=', id).execute();
}

export async function insertFindingVerdict(db: Db, row: NewFindingVerdictRow): Promise<void> {
  await db.insertInto('finding_verdicts').values(row).execute();
}

/** Links a verdict to the decision it led to. */
export async function setVerdictDecision(db: Db, id: string, decisionId: string): Promise<void> {
  await db.updateTable('finding_verdicts').set({ decision_id: decisionId }).where('id', '=', id).execute();
}

/** A finding's verdicts, oldest first. */
export function verdictsOfFinding(db: Db, findingId: string): Promise<FindingVerdictRow[]> {
  return db.selectFrom('finding_verdicts').selectAll().where('finding_id', '=', findingId).orderBy('at').orderBy('id').execute();
}
