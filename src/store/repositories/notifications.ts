import type { Db, Notification } from '../schema.js';

/**
 * Reads of the notifications an incident caused. The outbox (delivery/) writes and delivers them;
 * the incident and report-out use cases only look at what was sent.
 */

/** Every notification of an incident, in id order. */
export function notificationsOfIncident(db: Db, incidentId: string): Promise<Notification[]> {
  return db.selectFrom('notifications').selectAll().where('incident_id', '=', incidentId).orderBy('id').execute();
}

/** The report-out's notifications of an incident, any status: the closure gate's delivery evidence. */
export function reportOutDeliveries(db: Db, incidentId: string): Promise<Pick<Notification, 'role' | 'status' | 'delivered_at'>[]> {
  return db.selectFrom('notifications').select(['role', 'status', 'delivered_at']).where('incident_id', '=', incidentId).where('purpose', '=', 'reportout').execute();
}

/** Whether the report-out of an incident was ever sent to `role`. */
export async function reportOutSentTo(db: Db, incidentId: string, role: string): Promise<boolean> {
  const row = await db.selectFrom('notifications').select('id').where('incident_id', '=', incidentId).where('role', '=', role).where('purpose', '=', 'reportout').executeTakeFirst();
  return row !== undefined;
}
