import type { Db, Notification, NotificationAttempt } from '../schema.js';

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

/** The report-out revision a report-out message carries (its idempotency key `reportout:<INC>:r<N>:…`). */
export function reportOutRevisionOf(key: string): number | null {
  const m = /^reportout:[^:]+:r(\d+):/.exec(key);
  return m?.[1] === undefined ? null : Number(m[1]);
}

/** The report-out messages sent to `role`, with their revision and event, in id order. */
export async function reportOutToRole(db: Db, incidentId: string, role: string): Promise<{ revision: number; event: string | null }[]> {
  const rows = await reportOutOf(db, incidentId).select(['idempotency_key', 'event']).where('role', '=', role).orderBy('id').execute();
  return rows.flatMap((r) => {
    const revision = reportOutRevisionOf(r.idempotency_key);
    return revision === null ? [] : [{ revision, event: r.event }];
  });
}

/** Which messages `listNotifications` reads: one state, one incident, after a cursor (an id). */
export interface NotificationFilter {
  status?: Notification['status'];
  incident?: string;
  after?: string;
  limit: number;
}

/** Outbox messages in the order they were queued, filtered (see NotificationFilter; `after` is the id of the previous page's last). */
export async function listNotifications(db: Db, f: NotificationFilter): Promise<Notification[]> {
  let q = db.selectFrom('notifications').selectAll();
  if (f.status !== undefined) q = q.where('status', '=', f.status);
  if (f.incident !== undefined) q = q.where('incident_id', '=', f.incident);
  if (f.after !== undefined) {
    const cursor = await findNotification(db, f.after);
    if (cursor !== undefined) {
      const { created_at: at, id } = cursor;
      q = q.where((eb) => eb.or([eb('created_at', '>', at), eb.and([eb('created_at', '=', at), eb('id', '>', id)])]));
    }
  }
  return q.orderBy('created_at').orderBy('id').limit(f.limit).execute();
}

/** One outbox message, or undefined. */
export function findNotification(db: Db, id: string): Promise<Notification | undefined> {
  return db.selectFrom('notifications').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The message queued under an idempotency key, or undefined. */
export function findNotificationByKey(db: Db, key: string): Promise<Notification | undefined> {
  return db.selectFrom('notifications').selectAll().where('idempotency_key', '=', key).executeTakeFirst();
}

/** Every attempt of one message, in order. */
export function attemptsOf(db: Db, id: string): Promise<NotificationAttempt[]> {
  return db.selectFrom('notification_attempts').selectAll().where('notification_id', '=', id).orderBy('attempt').execute();
}
