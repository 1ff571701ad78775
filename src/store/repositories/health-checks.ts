import type { ControlFinding, Db, HealthCheck, HealthCheckNote, HealthCheckSample, Incident, Notification } from '../schema.js';

/** Health checks, their samples, reviewers' notes and control findings. */

/** Incidents closed at or after `from` and before `before` (ISO timestamps), in id order: a check's population. */
export function incidentsClosedBetween(db: Db, from: string, before: string): Promise<Pick<Incident, 'id' | 'severity' | 'state' | 'closed_at'>[]> {
  return db
    .selectFrom('incidents')
    .select(['id', 'severity', 'state', 'closed_at'])
    .where('closed_at', 'is not', null)
    .where('closed_at', '>=', from)
    .where('closed_at', '<', before)
    .orderBy('id')
    .execute();
}

/** An incident's report-out messages that have a delivered attempt on record, with that attempt's number. */
export function deliveredReportOuts(db: Db, incidentId: string): Promise<(Pick<Notification, 'id' | 'role' | 'status' | 'delivered_at'> & { attempt: number })[]> {
  return db
    .selectFrom('notifications')
    .innerJoin('notification_attempts', 'notification_attempts.notification_id', 'notifications.id')
    .select(['notifications.id', 'notifications.role', 'notifications.status', 'notifications.delivered_at', 'notification_attempts.attempt'])
    .where('notifications.incident_id', '=', incidentId)
    .where('notifications.purpose', '=', 'reportout')
    .where('notification_attempts.outcome', '=', 'delivered')
    .orderBy('notifications.id')
    .orderBy('notification_attempts.attempt')
    .execute();
}

export async function insertHealthCheck(db: Db, row: HealthCheck): Promise<void> {
  await db.insertInto('health_checks').values(row).execute();
}

export async function insertHealthCheckSamples(db: Db, rows: readonly HealthCheckSample[]): Promise<void> {
  if (rows.length > 0) await db.insertInto('health_check_samples').values([...rows]).execute();
}

export async function insertHealthCheckNote(db: Db, row: HealthCheckNote): Promise<void> {
  await db.insertInto('health_check_notes').values(row).execute();
}

export async function insertControlFindings(db: Db, rows: readonly ControlFinding[]): Promise<void> {
  if (rows.length > 0) await db.insertInto('control_findings').values([...rows]).execute();
}

export function findHealthCheck(db: Db, id: string): Promise<HealthCheck | undefined> {
  return db.selectFrom('health_checks').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Every check, newest first. */
export function listHealthChecks(db: Db): Promise<HealthCheck[]> {
  return db.selectFrom('health_checks').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
}

/** The newest check, if any. */
export function latestHealthCheck(db: Db): Promise<HealthCheck | undefined> {
  return db.selectFrom('health_checks').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(1).executeTakeFirst();
}

export function samplesOf(db: Db, checkId: string): Promise<HealthCheckSample[]> {
  return db.selectFrom('health_check_samples').selectAll().where('health_check_id', '=', checkId).orderBy('position').execute();
}

export function sampleOf(db: Db, checkId: string, incidentId: string): Promise<HealthCheckSample | undefined> {
  return db.selectFrom('health_check_samples').selectAll().where('health_check_id', '=', checkId).where('incident_id', '=', incidentId).executeTakeFirst();
}

export function notesOf(db: Db, checkId: string): Promise<HealthCheckNote[]> {
  return db.selectFrom('health_check_notes').selectAll().where('health_check_id', '=', checkId).orderBy('created_at').orderBy('id').execute();
}

export function controlFindingsOf(db: Db, checkId: string): Promise<ControlFinding[]> {
  return db.selectFrom('control_findings').selectAll().where('health_check_id', '=', checkId).orderBy('id').execute();
}
