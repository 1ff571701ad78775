import type { AuditCheckpoint, AuditEvent, DecisionRow, Db, HandoffNoteRow, HandoffRevision, Incident, NotificationAttempt } from '../schema.js';

/** The reads an evidence bundle makes beyond an incident's own views: whole rows, in a fixed order. */

/** The signed checkpoint of tree size `treeSize`, or the largest when none is given. */
export function findCheckpoint(db: Db, treeSize?: number): Promise<AuditCheckpoint | undefined> {
  const q = db.selectFrom('audit_checkpoints').selectAll();
  return (treeSize === undefined ? q.orderBy('tree_size', 'desc').limit(1) : q.where('tree_size', '=', treeSize)).executeTakeFirst();
}

/** The hashes of events 1..`size` in order (the leaves of the audit log's Merkle tree). */
export async function auditHashesUpTo(db: Db, size: number): Promise<string[]> {
  const rows = await db.selectFrom('audit_events').select(['seq', 'hash']).where('seq', '<=', size).orderBy('seq').execute();
  return rows.map((r) => r.hash);
}

/** The events of an incident in sequence order. */
export async function auditEventsOfIncident(db: Db, incidentId: string): Promise<AuditEvent[]> {
  const rows = await db.selectFrom('audit_events').selectAll().where('incident_id', '=', incidentId).orderBy('seq').execute();
  return rows.map((r) => ({ ...r, seq: Number(r.seq) }));
}

/** Every delivery attempt of the incident's notifications, by notification then attempt. */
export function attemptsOfIncident(db: Db, incidentId: string): Promise<NotificationAttempt[]> {
  return db
    .selectFrom('notification_attempts')
    .innerJoin('notifications', 'notifications.id', 'notification_attempts.notification_id')
    .selectAll('notification_attempts')
    .where('notifications.incident_id', '=', incidentId)
    .orderBy('notification_attempts.notification_id')
    .orderBy('notification_attempts.attempt')
    .execute();
}

/** The escalation decisions that opened or joined the incident, whole, in id order. */
export function escalationDecisionsOfIncident(db: Db, incidentId: string): Promise<DecisionRow[]> {
  return db.selectFrom('decisions').selectAll().where('incident_id', '=', incidentId).orderBy('id').execute();
}

/** The handoff notes of the incident with their bodies, in id order. */
export function handoffNotesOfIncident(db: Db, incidentId: string): Promise<HandoffNoteRow[]> {
  return db.selectFrom('handoff_notes').selectAll().where('incident_id', '=', incidentId).orderBy('id').execute();
}

/** The handoff's revisions, in order. */
export function handoffRevisionsOfIncident(db: Db, incidentId: string): Promise<HandoffRevision[]> {
  return db.selectFrom('handoff_revisions').selectAll().where('incident_id', '=', incidentId).orderBy('revision').execute();
}

/** The incidents opened between two days (inclusive, by the day of `created_at`), in id order. */
export function incidentsOpenedBetween(db: Db, fromDay: string, toDay: string): Promise<Pick<Incident, 'id' | 'severity' | 'created_at'>[]> {
  return db
    .selectFrom('incidents')
    .select(['id', 'severity', 'created_at'])
    .where('created_at', '>=', fromDay)
    .where('created_at', '<', `${toDay}T99`)
    .orderBy('id')
    .execute();
}
