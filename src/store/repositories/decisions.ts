import type { DecisionRow, Db } from '../schema.js';

/** Triage decisions, as the incident they escalated to shows them. */

/** The decisions that escalated to an incident, in id order: their finding, outcome and triggers (JSON). */
export function decisionsOfIncident(db: Db, incidentId: string): Promise<Pick<DecisionRow, 'id' | 'finding_id' | 'outcome' | 'triggers'>[]> {
  return db.selectFrom('decisions').select(['id', 'finding_id', 'outcome', 'triggers']).where('incident_id', '=', incidentId).orderBy('id').execute();
}
