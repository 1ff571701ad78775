import type { Db, RiskAcceptance } from '../schema.js';

/** Risk acceptances: the exception path for a weakness that is not remediated quickly. */

export function findRiskAcceptance(db: Db, id: string): Promise<RiskAcceptance | undefined> {
  return db.selectFrom('risk_acceptances').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function insertRiskAcceptance(db: Db, row: RiskAcceptance): Promise<void> {
  await db.insertInto('risk_acceptances').values(row).execute();
}

/**
 * Records an approver's decision on an acceptance that is still `requested`, in one conditional
 * write: false when another decision got there first (on PostgreSQL the second writer waits for
 * the first's commit, then finds the state changed), so one acceptance is decided once.
 */
export async function recordRiskDecision(db: Db, id: string, d: Pick<RiskAcceptance, 'state' | 'approver' | 'reason' | 'decided_at'>): Promise<boolean> {
  const done = await db
    .updateTable('risk_acceptances')
    .set({ state: d.state, approver: d.approver, reason: d.reason, decided_at: d.decided_at })
    .where('id', '=', id)
    .where('state', '=', 'requested')
    .executeTakeFirst();
  return Number(done.numUpdatedRows) === 1;
}

/** An incident's risk acceptances in id order. */
export function riskAcceptancesOfIncident(db: Db, incidentId: string): Promise<RiskAcceptance[]> {
  return db.selectFrom('risk_acceptances').selectAll().where('incident_id', '=', incidentId).orderBy('id').execute();
}

/** What the closure gate reads of an incident's risk acceptances. */
export function riskAcceptancesForGate(db: Db, incidentId: string): Promise<Pick<RiskAcceptance, 'weakness_id' | 'state' | 'review_by'>[]> {
  return db.selectFrom('risk_acceptances').select(['weakness_id', 'state', 'review_by']).where('incident_id', '=', incidentId).execute();
}
