import type { Db, Notification } from '../schema.js';

/**
 * Reads of the notifications an incident caused. The outbox (delivery/) writes and delivers them;
 * the incident and report-out use cases only look at what was sent.
 */

/** The query over an incident's report-out notifications (any status), which the reads below start from. */
function reportOutOf(db: Db, incidentId: string) {
  return db.selectFrom('notifications').where('incident_id', '=', incidentId).where('purpose', '=', 'reportout');
}

/** Every notification of an incident, in id order. */
export function notificationsOfIncident(db: Db, incidentId: string): Promise<Notification[]> {
  return db.selectFrom('notifications').selectAll().where('incident_id', '=', incidentId).orderBy('id').execute();
}

/** The report-out's notifications of an incident, any status: the closure gate's delivery evidence. */
export function reportOutDeliveries(db: Db, incidentId: string): Promise<Pick<Notification, 'role' | 'status' | 'delivered_at'>[]> {
  return reportOutOf(db, incidentId).select(['role', 'status', 'delivered_at']).execute();
}

/** Whether the report-out of an incident was ever sent to `role`. */
export async function reportOutSentTo(db: Db, incidentId: string, role: string): Promise<boolean> {
  const row = await reportOutOf(db, incidentId).select('id').where('role', '=', role).executeTakeFirst();
  return row !== undefined;
}
