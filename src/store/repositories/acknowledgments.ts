import type { Acknowledgment, Db } from '../schema.js';

/** Acknowledgments: a recipient role confirming receipt of an incident's report-out. */

export async function insertAcknowledgment(db: Db, row: Acknowledgment): Promise<void> {
  await db.insertInto('acknowledgments').values(row).execute();
}

/** Who acknowledged the report-out for `role`, and when, or undefined while nobody has. */
export function findAcknowledgment(db: Db, incidentId: string, role: string): Promise<Pick<Acknowledgment, 'actor' | 'at'> | undefined> {
  return db.selectFrom('acknowledgments').select(['actor', 'at']).where('incident_id', '=', incidentId).where('role', '=', role).executeTakeFirst();
}

/** An incident's acknowledgments in the order they were given. */
export function acknowledgmentsOfIncident(db: Db, incidentId: string): Promise<Acknowledgment[]> {
  return db.selectFrom('acknowledgments').selectAll().where('incident_id', '=', incidentId).orderBy('at').execute();
}

/** The roles that acknowledged an incident's report-out. */
export async function acknowledgedRoles(db: Db, incidentId: string): Promise<string[]> {
  const rows = await db.selectFrom('acknowledgments').select('role').where('incident_id', '=', incidentId).execute();
  return rows.map((r) => r.role);
}
