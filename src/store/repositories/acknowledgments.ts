import { ClError } from '../../errors.js';
import type { Acknowledgment, Db } from '../schema.js';

/** Acknowledgments: a recipient role confirming receipt of an incident's report-out. */

/**
 * Records an acknowledgment, or refuses with CL_CONFLICT (the acknowledgment already given in
 * `details.current`) when the role has one: the unique key on incident and role (migration 0005)
 * decides, so a second server's acknowledgment never lands beside the first nor fails as a 500.
 */
export async function insertAcknowledgment(db: Db, row: Acknowledgment): Promise<void> {
  const done = await db.insertInto('acknowledgments').values(row).onConflict((oc) => oc.columns(['incident_id', 'role']).doNothing()).executeTakeFirst();
  if (Number(done.numInsertedOrUpdatedRows ?? 0n) === 1) return;
  const current = await findAcknowledgment(db, row.incident_id, row.role);
  throw alreadyAcknowledged(row.incident_id, row.role, current);
}

/** The refusal of a second acknowledgment for a role: 409 with the one given. */
export function alreadyAcknowledged(incidentId: string, role: string, current: Pick<Acknowledgment, 'actor' | 'at' | 'revision'> | undefined): ClError {
  const by = current ? ` (by ${current.actor} at ${current.at})` : '';
  return new ClError('CL_CONFLICT', `${incidentId}: role ${role} already acknowledged${by}`, { role, current: current ? { state: 'acknowledged', ...current } : { state: 'acknowledged' } });
}

/** Who acknowledged the report-out for `role`, when, and which revision, or undefined while nobody has. */
export function findAcknowledgment(db: Db, incidentId: string, role: string): Promise<Pick<Acknowledgment, 'actor' | 'at' | 'revision'> | undefined> {
  return db.selectFrom('acknowledgments').select(['actor', 'at', 'revision']).where('incident_id', '=', incidentId).where('role', '=', role).executeTakeFirst();
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
