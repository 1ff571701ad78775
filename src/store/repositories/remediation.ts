import type { RemediationState } from '../../domain/incident.js';
import type { Db, RemediationHistoryEntry, RemediationItem } from '../schema.js';

/** Remediation items and the history of their statuses. */

export function findRemediationItem(db: Db, id: string): Promise<RemediationItem | undefined> {
  return db.selectFrom('remediation_items').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function insertRemediationItem(db: Db, row: RemediationItem): Promise<void> {
  await db.insertInto('remediation_items').values(row).execute();
}

/**
 * Moves an item from status `from` to `status` in one conditional write: false when the item is
 * no longer in `from` (another move got there first), so two moves never both apply.
 */
export async function setRemediationStatus(db: Db, id: string, from: RemediationState, status: RemediationState, at: string): Promise<boolean> {
  const done = await db.updateTable('remediation_items').set({ status, updated_at: at }).where('id', '=', id).where('status', '=', from).executeTakeFirst();
  return Number(done.numUpdatedRows) === 1;
}

/**
 * Appends a status to an item's history as the entry after its last one (the first is 1), and
 * returns its sequence number. The use case's conditional status write holds the item's row, so
 * two appends to one item never race.
 */
export async function appendRemediationHistory(db: Db, entry: { itemId: string; status: RemediationState; actor: string; at: string }): Promise<number> {
  const prev = await db.selectFrom('remediation_history').select((eb) => eb.fn.max('seq').as('m')).where('item_id', '=', entry.itemId).executeTakeFirst();
  const seq = Number(prev?.m ?? 0) + 1;
  await db.insertInto('remediation_history').values({ item_id: entry.itemId, seq, status: entry.status, actor: entry.actor, at: entry.at }).execute();
  return seq;
}

/** An incident's remediation items in id order. */
export function remediationOfIncident(db: Db, incidentId: string): Promise<RemediationItem[]> {
  return db.selectFrom('remediation_items').selectAll().where('incident_id', '=', incidentId).orderBy('id').execute();
}

/** The status history of every remediation item of an incident, by item then sequence. */
export function remediationHistoryOfIncident(db: Db, incidentId: string): Promise<RemediationHistoryEntry[]> {
  return db
    .selectFrom('remediation_history')
    .innerJoin('remediation_items', 'remediation_items.id', 'remediation_history.item_id')
    .select(['remediation_history.item_id', 'remediation_history.seq', 'remediation_history.status', 'remediation_history.actor', 'remediation_history.at'])
    .where('remediation_items.incident_id', '=', incidentId)
    .orderBy('remediation_history.item_id')
    .orderBy('remediation_history.seq')
    .execute();
}

/** What the closure gate reads of an incident's remediation items. */
export function remediationForGate(db: Db, incidentId: string): Promise<Pick<RemediationItem, 'weakness_id' | 'status'>[]> {
  return db.selectFrom('remediation_items').select(['weakness_id', 'status']).where('incident_id', '=', incidentId).execute();
}
