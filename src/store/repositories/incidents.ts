import { CLOSED_STATES, type IncidentState } from '../../domain/incident.js';
import type { Db, Incident, IncidentUpdate, NewIncident } from '../schema.js';

/**
 * Incidents and the assets they concern. Use cases read and change an incident through these, inside
 * their own transaction; the workflow rules stay in the use cases.
 */

/** One incident, or undefined when there is none with that id. */
export function findIncident(db: Db, id: string): Promise<Incident | undefined> {
  return db.selectFrom('incidents').selectAll().where('id', '=', id).executeTakeFirst();
}

/**
 * One incident, read and held until the transaction ends: every use case that checks an incident
 * (its state, report-out, acknowledgments, closure gate) before it writes reads it here, so its
 * checks still hold when it commits. An UPDATE that changes nothing, the same statement on both
 * engines: on PostgreSQL it takes the row's lock, as `SELECT … FOR UPDATE` would, so a second
 * server's use case on the same incident waits here and then reads what the first committed; on
 * SQLite it takes the database's write lock at the transaction's first statement, where SQLite
 * waits for a busy lock (a read transaction that upgrades later fails at once instead).
 */
export function lockIncident(db: Db, id: string): Promise<Incident | undefined> {
  return db.updateTable('incidents').set((eb) => ({ updated_at: eb.ref('updated_at') })).where('id', '=', id).returningAll().executeTakeFirst();
}

/**
 * Of the given incidents, those still open, each read and held as `lockIncident` holds one: an
 * escalation links findings to an open incident only after this, so a close that commits first
 * makes it open a new incident instead, and a close that comes second sees the new links (its
 * closure gate counts them). Ids in a fixed order, so two writers lock them in the same order.
 */
export async function lockOpenIncidents(db: Db, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db
    .updateTable('incidents')
    .set((eb) => ({ updated_at: eb.ref('updated_at') }))
    .where('id', 'in', [...ids].sort())
    .where('state', 'not in', CLOSED_STATES)
    .returning('id')
    .execute();
  return new Set(rows.map((r) => r.id));
}

export async function insertIncident(db: Db, row: NewIncident): Promise<void> {
  await db.insertInto('incidents').values(row).execute();
}

/** Links an incident to its assets (nothing to write for none). */
export async function insertIncidentAssets(db: Db, incidentId: string, assetIds: readonly string[]): Promise<void> {
  if (assetIds.length === 0) return;
  await db.insertInto('incident_assets').values(assetIds.map((a) => ({ incident_id: incidentId, asset_id: a }))).execute();
}

/** Sets the given columns of one incident; the use case has already built the whole new row it audits. */
export async function updateIncident(db: Db, id: string, changes: IncidentUpdate): Promise<void> {
  await db.updateTable('incidents').set(changes).where('id', '=', id).execute();
}

export interface IncidentPageQuery {
  state?: IncidentState | undefined;
  /** Creation time and id of the last incident of the previous page. */
  after?: readonly [createdAt: string, id: string] | undefined;
  limit: number;
}

/**
 * Up to `limit` incidents in creation order (then id) after the keyset `after`: an index range
 * (`incidents_by_creation`) however many incidents there are.
 */
export function listIncidentsPage(db: Db, q: IncidentPageQuery): Promise<Incident[]> {
  let query = db.selectFrom('incidents').selectAll().orderBy('created_at').orderBy('id');
  if (q.state) query = query.where('state', '=', q.state);
  const after = q.after;
  if (after !== undefined) {
    const [at, id] = after;
    query = query.where((eb) => eb.or([eb('created_at', '>', at), eb.and([eb('created_at', '=', at), eb('id', '>', id)])]));
  }
  return query.limit(q.limit).execute();
}

/** The ids of an incident's assets, sorted. */
export async function incidentAssetIds(db: Db, incidentId: string): Promise<string[]> {
  const rows = await db.selectFrom('incident_assets').select('asset_id').where('incident_id', '=', incidentId).orderBy('asset_id').execute();
  return rows.map((r) => r.asset_id);
}

/** Incidents whose report-out was sent at or before `sentBy` (ISO time), by id: candidates for acknowledgment reminders. */
export function incidentsWithReportOutSentBy(db: Db, sentBy: string): Promise<Incident[]> {
  return db.selectFrom('incidents').selectAll().where('reportout_sent_at', 'is not', null).where('reportout_sent_at', '<=', sentBy).orderBy('id').execute();
}
