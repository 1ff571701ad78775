import { sql, type ExpressionBuilder, type SelectQueryBuilder } from 'kysely';
import { CLOSED_STATES } from '../../domain/incident.js';
import type { RemediationState, RiskState } from '../../domain/incident.js';
import type { AuditEvent, Database, Db, Incident, RemediationItem, RiskAcceptance, ThirdPartyNotice, Ticket } from '../schema.js';

/**
 * What the read views (the remediation board, the risk and vendor lists, "my work", the audit log,
 * the metrics) read: each a page of rows in one statement, filtered on indexed columns, or an
 * aggregate computed by the database where the rows can be many (findings' decisions, items).
 */

/** Creation time and id of the last row of the previous page. */
export type Keyset = readonly [createdAt: string, id: string];

function afterKeyset<DB, TB extends keyof DB & string, O>(q: SelectQueryBuilder<DB, TB, O>, table: string, after: Keyset | undefined): SelectQueryBuilder<DB, TB, O> {
  if (after === undefined) return q;
  const [at, id] = after;
  const created = sql.ref(`${table}.created_at`);
  const key = sql.ref(`${table}.id`);
  return q.where(sql<boolean>`(${created} > ${at} or (${created} = ${at} and ${key} > ${id}))`);
}

// ---- remediation board -----------------------------------------------------------------------

export interface BoardQuery {
  status?: RemediationState | undefined;
  /** An owner role or an assignee. */
  owner?: string | undefined;
  /** true: past due and still being worked; false: the others. */
  overdue?: boolean | undefined;
  incident?: string | undefined;
  today: string;
  after?: Keyset | undefined;
  limit: number;
}

/** Remediation items in creation order (then id), filtered; a page. */
export function boardPage(db: Db, q: BoardQuery): Promise<RemediationItem[]> {
  let query = db.selectFrom('remediation_items').selectAll().orderBy('created_at').orderBy('id');
  if (q.status !== undefined) query = query.where('status', '=', q.status);
  if (q.owner !== undefined) {
    const owner = q.owner;
    query = query.where((eb) => eb.or([eb('owner_role', '=', owner), eb('assignee', '=', owner)]));
  }
  if (q.incident !== undefined) query = query.where('incident_id', '=', q.incident);
  if (q.overdue !== undefined) {
    const late = (eb: ExpressionBuilder<Database, 'remediation_items'>) => eb.and([eb('due', 'is not', null), eb('due', '<', q.today), eb('status', 'in', ['open', 'in_progress'])]);
    query = q.overdue ? query.where(late) : query.where((eb) => eb.not(late(eb)));
  }
  return afterKeyset(query, 'remediation_items', q.after).limit(q.limit).execute();
}

/** The tickets of the given items (for the board's ticket column). */
export function ticketsOfItems(db: Db, itemIds: readonly string[]): Promise<Pick<Ticket, 'item_id' | 'system' | 'key' | 'url' | 'external_status'>[]> {
  if (itemIds.length === 0) return Promise.resolve([]);
  return db.selectFrom('tickets').select(['item_id', 'system', 'key', 'url', 'external_status']).where('item_id', 'in', itemIds).orderBy('created_at').execute();
}

// ---- risk acceptances ------------------------------------------------------------------------

export interface RiskQuery {
  /** The effective state: an approved acceptance is `expired` from its review date on. */
  state?: RiskState | undefined;
  incident?: string | undefined;
  today: string;
  after?: Keyset | undefined;
  limit: number;
}

export function riskPage(db: Db, q: RiskQuery): Promise<RiskAcceptance[]> {
  let query = db.selectFrom('risk_acceptances').selectAll().orderBy('created_at').orderBy('id');
  const day = q.today;
  if (q.state === 'approved') query = query.where('state', '=', 'approved').where('review_by', '>', day);
  else if (q.state === 'expired') query = query.where((eb) => eb.or([eb('state', '=', 'expired'), eb.and([eb('state', '=', 'approved'), eb('review_by', '<=', day)])]));
  else if (q.state !== undefined) query = query.where('state', '=', q.state);
  if (q.incident !== undefined) query = query.where('incident_id', '=', q.incident);
  return afterKeyset(query, 'risk_acceptances', q.after).limit(q.limit).execute();
}

// ---- vendor notices --------------------------------------------------------------------------

export interface NoticeQuery {
  status?: ThirdPartyNotice['status'] | undefined;
  vendor?: string | undefined;
  incident?: string | undefined;
  after?: Keyset | undefined;
  limit: number;
}

export function noticePage(db: Db, q: NoticeQuery): Promise<ThirdPartyNotice[]> {
  let query = db.selectFrom('third_party_notices').selectAll().orderBy('created_at').orderBy('id');
  if (q.status !== undefined) query = query.where('status', '=', q.status);
  if (q.vendor !== undefined) query = query.where('vendor', '=', q.vendor);
  if (q.incident !== undefined) query = query.where('incident_id', '=', q.incident);
  return afterKeyset(query, 'third_party_notices', q.after).limit(q.limit).execute();
}

// ---- my work ---------------------------------------------------------------------------------

/** Open incidents whose report-out went out, with the roles that acknowledged it and whether a weakness is third-party. */
export async function openSentIncidents(db: Db): Promise<{ incident: Pick<Incident, 'id' | 'title' | 'severity' | 'reportout_sent_at'>; acked: string[]; thirdParty: boolean }[]> {
  const incidents = await db
    .selectFrom('incidents')
    .select(['id', 'title', 'severity', 'reportout_sent_at'])
    .select((eb) => eb.case().when(eb.exists(eb.selectFrom('weaknesses as w').select('w.id').whereRef('w.incident_id', '=', 'incidents.id').where('w.type', '=', 'third_party'))).then(1).else(0).end().as('tp'))
    .where('reportout_sent_at', 'is not', null)
    .where('state', 'not in', CLOSED_STATES)
    .orderBy('reportout_sent_at')
    .orderBy('id')
    .execute();
  if (incidents.length === 0) return [];
  const acks = await db
    .selectFrom('acknowledgments')
    .innerJoin('incidents', 'incidents.id', 'acknowledgments.incident_id')
    .select(['acknowledgments.incident_id', 'acknowledgments.role'])
    .where('incidents.reportout_sent_at', 'is not', null)
    .where('incidents.state', 'not in', CLOSED_STATES)
    .execute();
  return incidents.map(({ tp, ...incident }) => ({ incident, thirdParty: Number(tp) === 1, acked: acks.filter((a) => a.incident_id === incident.id).map((a) => a.role) }));
}

/** Items not yet verified that are owned by one of `roles` or assigned to `actor`. */
export function itemsOwnedBy(db: Db, actor: string, roles: readonly string[]): Promise<RemediationItem[]> {
  return db
    .selectFrom('remediation_items')
    .selectAll()
    .where('status', '!=', 'verified')
    .where((eb) => eb.or([eb('assignee', '=', actor), ...(roles.length > 0 ? [eb('owner_role', 'in', roles)] : [])]))
    .orderBy('due')
    .orderBy('id')
    .execute();
}

/** Acceptances still requested that `actor` did not request. */
export function requestedRisksNotBy(db: Db, actor: string): Promise<RiskAcceptance[]> {
  return db.selectFrom('risk_acceptances').selectAll().where('state', '=', 'requested').where('requester', '!=', actor).orderBy('created_at').orderBy('id').execute();
}

/** Notices sent and not answered whose last sending or chase was at or before `by` (ISO time). */
export function noticesToChase(db: Db, by: string): Promise<ThirdPartyNotice[]> {
  return db
    .selectFrom('third_party_notices')
    .selectAll()
    .where('sent_at', 'is not', null)
    .where('response', 'is', null)
    .where((eb) => eb.or([eb.and([eb('chased_at', 'is', null), eb('sent_at', '<=', by)]), eb('chased_at', '<=', by)]))
    .orderBy('sent_at')
    .orderBy('id')
    .execute();
}

/** Incidents `actor` leads that are not closed. */
export function openIncidentsLedBy(db: Db, actor: string): Promise<Incident[]> {
  return db.selectFrom('incidents').selectAll().where('ir_lead', '=', actor).where('state', 'not in', CLOSED_STATES).orderBy('created_at').orderBy('id').execute();
}

// ---- audit log -------------------------------------------------------------------------------

export interface AuditQuery {
  incident?: string | undefined;
  actor?: string | undefined;
  /** Events whose action starts with this (`risk.`, `incident.moved`). */
  actionPrefix?: string | undefined;
  entityType?: string | undefined;
  entityId?: string | undefined;
  /** ISO times, inclusive. */
  from?: string | undefined;
  to?: string | undefined;
  /** Newest first: events before this sequence number. */
  before?: number | undefined;
  limit: number;
}

/** `LIKE` pattern of a literal prefix (`\` escapes `%`, `_` and itself). */
const likePrefix = (prefix: string): string => `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** Audit events newest first (by sequence number), filtered; a page. */
export function auditPage(db: Db, q: AuditQuery): Promise<AuditEvent[]> {
  let query = db.selectFrom('audit_events').selectAll().orderBy('seq', 'desc');
  if (q.incident !== undefined) query = query.where('incident_id', '=', q.incident);
  if (q.actor !== undefined) query = query.where('actor', '=', q.actor);
  if (q.actionPrefix !== undefined) query = query.where(sql<boolean>`action like ${likePrefix(q.actionPrefix)} escape '\\'`);
  if (q.entityType !== undefined) query = query.where('entity_type', '=', q.entityType);
  if (q.entityId !== undefined) query = query.where('entity_id', '=', q.entityId);
  if (q.from !== undefined) query = query.where('at', '>=', q.from);
  if (q.to !== undefined) query = query.where('at', '<=', q.to);
  if (q.before !== undefined) query = query.where('seq', '<', q.before);
  return query.limit(q.limit).execute();
}

/** An incident's events oldest first, after sequence number `after`; a page. */
export function incidentEvents(db: Db, incidentId: string, after: number, limit: number): Promise<AuditEvent[]> {
  return db.selectFrom('audit_events').selectAll().where('incident_id', '=', incidentId).where('seq', '>', after).orderBy('seq').limit(limit).execute();
}

// ---- metrics ---------------------------------------------------------------------------------

/** Incidents per state. */
export async function incidentsByState(db: Db): Promise<{ state: Incident['state']; n: number }[]> {
  const rows = await db.selectFrom('incidents').select(['state', (eb) => eb.fn.countAll<number | string>().as('n')]).groupBy('state').execute();
  return rows.map((r) => ({ state: r.state, n: Number(r.n) }));
}

/** Age buckets of remediation items, by the calendar day an item was opened. */
export interface AgeCutoffs {
  /** YYYY-MM-DD: items opened on or after it are 0–7 days old. */
  d7: string;
  d30: string;
  d90: string;
  today: string;
}

/** Items not yet verified counted by age bucket and status, and those overdue, in the database. */
export async function remediationAging(db: Db, c: AgeCutoffs): Promise<{ buckets: { bucket: string; status: RemediationState; n: number }[]; overdue: number }> {
  const aged = db
    .selectFrom('remediation_items')
    .select([
      'status',
      sql<string>`case when created_at >= ${c.d7} then '0-7' when created_at >= ${c.d30} then '8-30' when created_at >= ${c.d90} then '31-90' else '>90' end`.as('bucket'),
    ])
    .where('status', '!=', 'verified')
    .as('aged');
  const rows = await db
    .selectFrom(aged)
    .select(['aged.bucket', 'aged.status', (eb) => eb.fn.countAll<number | string>().as('n')])
    .groupBy(['aged.bucket', 'aged.status'])
    .execute();
  const overdue = await db
    .selectFrom('remediation_items')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('due', 'is not', null)
    .where('due', '<', c.today)
    .where('status', 'in', ['open', 'in_progress'])
    .executeTakeFirstOrThrow();
  return { buckets: rows.map((r) => ({ bucket: r.bucket, status: r.status, n: Number(r.n) })), overdue: Number(overdue.n) };
}

/**
 * The latest decision of every finding that escalated, counted by its list of triggers (a JSON
 * array as stored): few distinct lists, however many findings. Latest = no decision of the same
 * finding is newer (by time, then id), read through the `decisions_finding` index.
 */
export async function escalationTriggerLists(db: Db): Promise<{ triggers: string; n: number }[]> {
  const rows = await db
    .selectFrom('decisions as d')
    .select(['d.triggers', (eb) => eb.fn.countAll<number | string>().as('n')])
    .where('d.outcome', '=', 'escalate')
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('decisions as newer')
            .select('newer.id')
            .whereRef('newer.finding_id', '=', 'd.finding_id')
            .where((e) => e.or([e('newer.decided_at', '>', e.ref('d.decided_at')), e.and([e('newer.decided_at', '=', e.ref('d.decided_at')), e('newer.id', '>', e.ref('d.id'))])])),
        ),
      ),
    )
    .groupBy('d.triggers')
    .execute();
  return rows.map((r) => ({ triggers: r.triggers, n: Number(r.n) }));
}

