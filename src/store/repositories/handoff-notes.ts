import type { Db, HandoffNoteRow } from '../schema.js';

/** Handoff notes: what triage wrote for the responders of an incident it escalated to. */

/** The notes of an incident in id order, without their bodies. */
export function handoffNoteHeadsOfIncident(db: Db, incidentId: string): Promise<Pick<HandoffNoteRow, 'id' | 'decision_id' | 'created_at'>[]> {
  return db.selectFrom('handoff_notes').select(['id', 'decision_id', 'created_at']).where('incident_id', '=', incidentId).orderBy('id').execute();
}
