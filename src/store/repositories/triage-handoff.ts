import type { Db } from '../schema.js';
import { ROWS_PER_INSERT, slices } from '../insert.js';
import type { HandoffNotesTable, IncidentAssetsTable } from '../schema.js';

/** What escalating triage reads and writes about incidents beside their decisions: handoff notes, assets, remediation. */

/** Handoff notes already with these incidents for decisions on these findings, by note id: what IR has been sent. */
export function notesForFindings(db: Db, incidents: readonly string[], findings: readonly string[]): Promise<{ id: string; incident_id: string; finding_id: string; input_hash: string }[]> {
  return db
    .selectFrom('handoff_notes')
    .innerJoin('decisions', 'decisions.id', 'handoff_notes.decision_id')
    .select(['handoff_notes.id', 'handoff_notes.incident_id', 'decisions.finding_id', 'decisions.input_hash'])
    .where('handoff_notes.incident_id', 'in', incidents)
    .where('decisions.finding_id', 'in', findings)
    .orderBy('handoff_notes.id')
    .execute();
}

/** Those of these findings with an open or in-progress remediation item. */
export async function findingsInRemediation(db: Db, findings: readonly string[]): Promise<string[]> {
  const rows = await db.selectFrom('remediation_items').select('finding_id').where('finding_id', 'in', findings).where('status', 'in', ['open', 'in_progress']).execute();
  const ids: string[] = [];
  for (const r of rows) if (r.finding_id !== null) ids.push(r.finding_id);
  return ids;
}

/** Links assets to incidents; a link that exists already is kept as it is. */
export async function linkIncidentAssets(db: Db, links: readonly IncidentAssetsTable[]): Promise<void> {
  for (const part of slices(links, ROWS_PER_INSERT)) {
    await db.insertInto('incident_assets').values(part).onConflict((oc) => oc.columns(['incident_id', 'asset_id']).doNothing()).execute();
  }
}

/** Whether an incident with this id is stored. */
export async function incidentIsStored(db: Db, incidentId: string): Promise<boolean> {
  return (await db.selectFrom('incidents').select('id').where('id', '=', incidentId).executeTakeFirst()) !== undefined;
}

/** An incident's handoff notes in id order. */
export function handoffNotesOfIncident(db: Db, incidentId: string): Promise<HandoffNotesTable[]> {
  return db.selectFrom('handoff_notes').selectAll().where('incident_id', '=', incidentId).orderBy('id').execute();
}
