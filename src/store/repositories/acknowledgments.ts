import { ClError } from '../../errors.js';
import type { AckLinkUse, Acknowledgment, Db, NewAcknowledgment, SupersededAcknowledgment } from '../schema.js';

/** Acknowledgments: a recipient role confirming receipt of an incident's report-out. */

/**
 * Records an acknowledgment, or refuses with CL_CONFLICT (the acknowledgment already given in
 * `details.current`) when the role has one: the unique key on incident and role (migration 0005)
 * decides, so a second server's acknowledgment never lands beside the first nor fails as a 500.
 */
export async function insertAcknowledgment(db: Db, row: NewAcknowledgment): Promise<void> {
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

/** The role's acknowledgment row, or undefined while nobody gave one. */
export function acknowledgmentOf(db: Db, incidentId: string, role: string): Promise<Acknowledgment | undefined> {
  return db.selectFrom('acknowledgments').selectAll().where('incident_id', '=', incidentId).where('role', '=', role).executeTakeFirst();
}

/**
 * Moves an acknowledgment that revision `by` asks again into `acknowledgments_superseded` (kept as
 * evidence, no longer counted), freeing the role to acknowledge the new revision.
 */
export async function supersedeAcknowledgment(db: Db, ack: Acknowledgment, at: string, by: number): Promise<void> {
  await db.insertInto('acknowledgments_superseded').values({ ...ack, superseded_at: at, superseded_by: by }).execute();
  await db.deleteFrom('acknowledgments').where('id', '=', ack.id).execute();
}

/** An incident's superseded acknowledgments, oldest first. */
export function supersededOfIncident(db: Db, incidentId: string): Promise<SupersededAcknowledgment[]> {
  return db.selectFrom('acknowledgments_superseded').selectAll().where('incident_id', '=', incidentId).orderBy('at').execute();
}

/** Records that an acknowledgment link was used; false when it already was (its id is the key). */
export async function useAckLink(db: Db, row: AckLinkUse): Promise<boolean> {
  const done = await db.insertInto('ack_link_uses').values(row).onConflict((oc) => oc.column('token_id').doNothing()).executeTakeFirst();
  return Number(done.numInsertedOrUpdatedRows ?? 0n) === 1;
}

/** When an acknowledgment link was used, or undefined while it was not. */
export async function ackLinkUsedAt(db: Db, tokenId: string): Promise<string | undefined> {
  const row = await db.selectFrom('ack_link_uses').select('used_at').where('token_id', '=', tokenId).executeTakeFirst();
  return row?.used_at;
}
