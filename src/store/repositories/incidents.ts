import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';
import { CLOSED_STATES, type IncidentSeverity, type IncidentState } from '../../domain/incident.js';
import type { Database, Db, Incident, IncidentUpdate, NewIncident } from '../schema.js';

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
  severity?: IncidentSeverity | undefined;
  service?: string | undefined;
  /** Only incidents whose report-out is owed (its task opened) and not sent; a non-incident owes none. */
  missingReportout?: boolean | undefined;
  /** Only incidents with an acknowledgment past its SLA or a remediation item past its due date. */
  overdue?: boolean | undefined;
  /** Creation time and id of the last incident of the previous page. */
  after?: readonly [createdAt: string, id: string] | undefined;
  limit: number;
}

/** When a recipient role's acknowledgment is late: the report-out was sent at or before `lateIfSentBy`. */
export interface AckRule {
  role: string;
  lateIfSentBy: string;
  /** The role is required only when the incident has a third-party weakness. */
  thirdPartyOnly: boolean;
}

/** What the incident list says beside each incident, computed in the page's one statement. */
export interface IncidentSummaryQuery {
  ackRules: readonly AckRule[];
  /** YYYY-MM-DD: a remediation item due before it and still being worked is overdue. */
  today: string;
}

/** An incident of the list with the figures of its summary (0/1 flags and counts). */
export type IncidentListRow = Incident & {
  has_third_party: number;
  /** Acknowledgments by roles every report-out is sent to. */
  acks_recipient: number;
  /** Acknowledgments by roles only a third-party weakness adds. */
  acks_third_party: number;
  ack_overdue: number;
  remediation_overdue: number;
};

type IncidentsEb = ExpressionBuilder<Database, 'incidents'>;

const hasThirdPartyWeakness = (eb: IncidentsEb) =>
  eb.exists(eb.selectFrom('weaknesses as w').select('w.id').whereRef('w.incident_id', '=', 'incidents.id').where('w.type', '=', 'third_party'));

const acknowledgedBy = (eb: IncidentsEb, role: string) =>
  eb.exists(eb.selectFrom('acknowledgments as a').select('a.id').whereRef('a.incident_id', '=', 'incidents.id').where('a.role', '=', role));

/** An open incident whose report-out went out and a required role has not acknowledged within its SLA. */
function ackOverdue(eb: IncidentsEb, rules: readonly AckRule[]): Expression<SqlBool> {
  if (rules.length === 0) return sql<SqlBool>`1 = 0`;
  return eb.and([
    eb('incidents.reportout_sent_at', 'is not', null),
    eb('incidents.state', 'not in', CLOSED_STATES),
    eb.or(
      rules.map((r) =>
        eb.and([eb('incidents.reportout_sent_at', '<=', r.lateIfSentBy), eb.not(acknowledgedBy(eb, r.role)), ...(r.thirdPartyOnly ? [hasThirdPartyWeakness(eb)] : [])]),
      ),
    ),
  ]);
}

/** A remediation item of the incident past its due date and still being worked (as the overdue timer finds them). */
const remediationOverdue = (eb: IncidentsEb, today: string) =>
  eb.exists(
    eb
      .selectFrom('remediation_items as ri')
      .select('ri.id')
      .whereRef('ri.incident_id', '=', 'incidents.id')
      .where('ri.due', 'is not', null)
      .where('ri.due', '<', today)
      .where('ri.status', 'in', ['open', 'in_progress']),
  );

/** The report-out is owed (its task opened) and not sent, and the incident is not a closed non-incident. */
export const reportOutMissing = (eb: IncidentsEb) =>
  eb.and([eb('incidents.reportout_opened_at', 'is not', null), eb('incidents.reportout_sent_at', 'is', null), eb('incidents.state', '!=', 'closed_non_incident')]);

function ackCount(eb: IncidentsEb, roles: readonly string[]) {
  if (roles.length === 0) return sql<number>`0`;
  return eb.selectFrom('acknowledgments as a').select((e) => e.fn.countAll<number | string>().as('n')).whereRef('a.incident_id', '=', 'incidents.id').where('a.role', 'in', roles);
}

/**
 * Up to `limit` incidents in creation order (then id) after the keyset `after`, with the figures of
 * their summary, in one statement: the filters and the figures are correlated subqueries on the
 * indexed incident columns of acknowledgments, weaknesses and remediation items, so a page costs one
 * round trip however long the list (an index range of `incidents_created` when unfiltered).
 */
export async function listIncidentsPage(db: Db, q: IncidentPageQuery, s: IncidentSummaryQuery): Promise<IncidentListRow[]> {
  const recipient = [...new Set(s.ackRules.filter((r) => !r.thirdPartyOnly).map((r) => r.role))];
  const thirdParty = [...new Set(s.ackRules.filter((r) => r.thirdPartyOnly).map((r) => r.role))];
  let query = db
    .selectFrom('incidents')
    .selectAll('incidents')
    .select((eb) => [
      eb.case().when(hasThirdPartyWeakness(eb)).then(1).else(0).end().as('has_third_party'),
      ackCount(eb, recipient).as('acks_recipient'),
      ackCount(eb, thirdParty).as('acks_third_party'),
      eb.case().when(ackOverdue(eb, s.ackRules)).then(1).else(0).end().as('ack_overdue'),
      eb.case().when(remediationOverdue(eb, s.today)).then(1).else(0).end().as('remediation_overdue'),
    ])
    .orderBy('incidents.created_at')
    .orderBy('incidents.id');
  if (q.state) query = query.where('incidents.state', '=', q.state);
  if (q.severity) query = query.where('incidents.severity', '=', q.severity);
  if (q.service !== undefined) query = query.where('incidents.service', '=', q.service);
  if (q.missingReportout === true) query = query.where(reportOutMissing);
  if (q.missingReportout === false) query = query.where((eb) => eb.not(reportOutMissing(eb)));
  if (q.overdue === true) query = query.where((eb) => eb.or([ackOverdue(eb, s.ackRules), remediationOverdue(eb, s.today)]));
  if (q.overdue === false) query = query.where((eb) => eb.not(eb.or([ackOverdue(eb, s.ackRules), remediationOverdue(eb, s.today)])));
  const after = q.after;
  if (after !== undefined) {
    const [at, id] = after;
    query = query.where((eb) => eb.or([eb('incidents.created_at', '>', at), eb.and([eb('incidents.created_at', '=', at), eb('incidents.id', '>', id)])]));
  }
  const rows = await query.limit(q.limit).execute();
  return rows.map((r) => ({
    ...r,
    has_third_party: Number(r.has_third_party),
    acks_recipient: Number(r.acks_recipient),
    acks_third_party: Number(r.acks_third_party),
    ack_overdue: Number(r.ack_overdue),
    remediation_overdue: Number(r.remediation_overdue),
  }));
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

/** Whether the store holds any incident. */
export async function hasIncidents(db: Db): Promise<boolean> {
  return (await db.selectFrom('incidents').select('id').limit(1).executeTakeFirst()) !== undefined;
}
