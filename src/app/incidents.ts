import { z } from 'zod';
import { evaluateGate, effectiveRiskState, type GateMissing } from '../domain/gate.js';
import {
  CLOSABLE_FROM,
  INCIDENT_STATES,
  NON_INCIDENT_CLOSABLE_FROM,
  INCIDENT_SEVERITIES,
  checkMove,
  formatIncidentId,
  isClosed,
  reached,
  reopenTarget,
} from '../domain/incident.js';
import { ClError, notFound } from '../errors.js';
import type { DeliveryProof } from '../delivery/channel.js';
import type { Acknowledgment, Db, Incident, Notification, SupersededAcknowledgment } from '../store/schema.js';
import { acknowledgedRoles, acknowledgmentsOfIncident, supersededOfIncident } from '../store/repositories/acknowledgments.js';
import { decisionsOfIncident } from '../store/repositories/decisions.js';
import { handoffNoteHeadsOfIncident } from '../store/repositories/handoff-notes.js';
import { groupingOfIncident } from '../store/repositories/triage-handoff.js';
import { findIncident, lockIncident as lockIncidentRow, incidentAssetIds, insertIncident, insertIncidentAssets, listIncidentsPage, updateIncident } from '../store/repositories/incidents.js';
import { notificationsOfIncident, reportOutDeliveries, reportOutRevisionOf } from '../store/repositories/notifications.js';
import { remediationForGate, remediationHistoryOfIncident, remediationOfIncident } from '../store/repositories/remediation.js';
import { riskAcceptancesForGate, riskAcceptancesOfIncident } from '../store/repositories/risk-acceptances.js';
import { noticesForGate, noticesOfIncident } from '../store/repositories/third-party-notices.js';
import { weaknessesForGate, weaknessesOfIncident, weaknessIdsOfIncident } from '../store/repositories/weaknesses.js';
import { audit, authorize, inTransaction, isoNow, nextCounter, today, type AppContext, type AuditEntry, type Caller, type Trx } from './context.js';
import { identifier, nonEmpty, parseInput, recordInput, shortText } from './validate.js';
import { eventIncident, incidentLink, notifySubscribers } from './outbox.js';
import { ackRules } from './views/ack-sla.js';
import { controlCardInForce } from './control-card.js';

export const openIncidentInput = z.strictObject({
  title: shortText('title'),
  severity: z.enum(INCIDENT_SEVERITIES),
  assets: z.array(identifier('asset id')).default([]),
  service: identifier('service').optional(),
  ir_lead: identifier('ir_lead').optional(),
});
export type OpenIncidentInput = z.input<typeof openIncidentInput>;

export async function loadIncident(db: Db, id: string): Promise<Incident> {
  const row = await findIncident(db, id);
  if (!row) throw notFound('incident', id);
  return row;
}

/**
 * The incident, held until the transaction ends (see the repository's lockIncident): use cases
 * that check an incident before they write read it here, so two servers never both act on one
 * state of it.
 */
export async function lockIncident(trx: Trx, id: string): Promise<Incident> {
  const row = await lockIncidentRow(trx, id);
  if (!row) throw notFound('incident', id);
  return row;
}

/** Refuses changes to a closed incident's records until it is reopened (audited). */
export function assertIncidentOpen(inc: Incident): void {
  if (isClosed(inc.state)) {
    throw new ClError('CL_RULE_REFUSED', `${inc.id} is ${inc.state}; reopen it (\`closeloop incident reopen ${inc.id} --reason …\`) to change it`, { current: inc.state });
  }
}

/** Opens an incident in `reported`: from here on it owes an IR-6(2) report-out. */
export async function openIncident(ctx: AppContext, caller: Caller, input: OpenIncidentInput): Promise<Incident> {
  await authorize(ctx, caller, 'incident.open');
  const p = parseInput(openIncidentInput, input);
  return inTransaction(ctx, (trx) => createIncident(trx, ctx, caller, p));
}

/**
 * A new incident's row (number `n` of its year), its assets and its audit entry: what
 * `createIncident` writes, and escalation writes for many incidents at once.
 */
export function incidentRecord(ctx: AppContext, caller: Caller, p: z.output<typeof openIncidentInput>, year: number, n: number): { row: Incident; assets: string[]; audit: AuditEntry } {
  // the version in force: recorded at start (control-card.ts), so the stamp names a recorded card
  const at = isoNow(ctx);
  const row: Incident = {
    id: formatIncidentId(year, n),
    title: p.title,
    severity: p.severity,
    state: 'reported',
    service: p.service ?? null,
    ir_lead: p.ir_lead ?? null,
    determination: null,
    determination_rationale: null,
    none_identified_rationale: null,
    reportout_opened_at: null,
    reportout_sent_at: null,
    gate_flags: null,
    opened_by: caller.actor,
    created_at: at,
    updated_at: at,
    closed_at: null,
    control_card_version: ctx.config.control_card.version,
  };
  const assets = [...new Set(p.assets)];
  return { row, assets, audit: { action: 'incident.opened', entityType: 'incident', entityId: row.id, incidentId: row.id, state: { ...row, assets } } };
}

/** The counter of incident numbers of a year. */
export const incidentCounter = (year: number): string => `incident:${year}`;

/** Creates the incident rows inside an existing transaction. */
export async function createIncident(
  trx: Trx,
  ctx: AppContext,
  caller: Caller,
  p: z.output<typeof openIncidentInput>,
): Promise<Incident> {
  await controlCardInForce(trx, ctx, caller);
  const year = ctx.now().getUTCFullYear();
  const { row, assets, audit: entry } = incidentRecord(ctx, caller, p, year, await nextCounter(trx, incidentCounter(year)));
  await insertIncident(trx, row);
  await insertIncidentAssets(trx, row.id, assets);
  await audit(trx, ctx, caller, entry);
  return row;
}

/** Incidents per page when the caller gives no limit, and the most a page may hold. */
export const INCIDENT_PAGE = { default: 100, max: 1000 } as const;

/** A yes/no filter as a query string gives it (`true`/`false`) or a JSON body does. */
const flag = z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]);

export const listIncidentsInput = z.strictObject({
  state: z.enum(INCIDENT_STATES).optional(),
  severity: z.enum(INCIDENT_SEVERITIES).optional(),
  service: identifier('service').optional(),
  /** true: only incidents whose report-out is owed (its task opened) and not sent; false: the others. */
  missing_reportout: flag.optional(),
  /** true: only incidents with an acknowledgment past its SLA or a remediation item past its due date; false: the others. */
  overdue: flag.optional(),
  /** Incidents on this page (default 100, at most 1,000). */
  limit: z.coerce.number().int().min(1).max(INCIDENT_PAGE.max).optional(),
  /** The `next` of the previous page. */
  after: identifier('after').optional(),
});

/** Where an incident's report-out stands: not yet opened, owed, sent, or not required (a non-incident). */
export type ReportOutStatus = 'not_open' | 'owed' | 'sent' | 'not_required';

/** What the list shows beside an incident (`summary`), as the list's response schema names it. */
export const incidentSummaryOutput = z.object({
  reportout: z.enum(['not_open', 'owed', 'sent', 'not_required']),
  /** Required roles that acknowledged, of those required. */
  acks: z.object({ done: z.number().int(), required: z.number().int() }),
  /** An acknowledgment past its SLA, or a remediation item past its due date. */
  overdue: z.boolean(),
  ack_overdue: z.boolean(),
  remediation_overdue: z.boolean(),
});
export type IncidentSummary = z.infer<typeof incidentSummaryOutput> & { reportout: ReportOutStatus };

export type ListedIncident = Incident & { summary: IncidentSummary };

/** One page of incidents in creation order, and the cursor of the next (null on the last page). */
export interface IncidentPage {
  incidents: ListedIncident[];
  next: string | null;
}

export function reportOutStatus(inc: Pick<Incident, 'state' | 'reportout_opened_at' | 'reportout_sent_at'>): ReportOutStatus {
  if (inc.reportout_sent_at !== null) return 'sent';
  if (inc.state === 'closed_non_incident') return 'not_required';
  return inc.reportout_opened_at === null ? 'not_open' : 'owed';
}

/** An opaque cursor: the creation time and id of the last incident of a page. */
function incidentCursor(i: Pick<Incident, 'created_at' | 'id'>): string {
  return Buffer.from(JSON.stringify([i.created_at, i.id])).toString('base64url');
}

function fromIncidentCursor(after: string): [string, string] {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(after, 'base64url').toString('utf8'));
  } catch {
    v = null;
  }
  if (!Array.isArray(v) || v.length !== 2 || typeof v[0] !== 'string' || typeof v[1] !== 'string') {
    throw new ClError('CL_BAD_INPUT', 'after is not a cursor of this list: pass the `next` value of the previous page, or leave it out for the first page', {
      fields: [{ field: 'after', message: 'a `next` value from the previous page' }],
    });
  }
  return [v[0], v[1]];
}

/**
 * Incidents in creation order, a page at a time: `limit` of them (default 100) after the `after`
 * cursor, and the cursor of the next page; filtered by state, severity, service, a missing report-out or
 * anything overdue, each with its summary (report-out, acknowledgments, overdue). A keyset cursor, so a page is an index range however
 * many incidents there are, and incidents opened meanwhile never shift a page already read.
 */
export async function listIncidents(ctx: AppContext, caller: Caller, input: z.input<typeof listIncidentsInput>): Promise<IncidentPage> {
  await authorize(ctx, caller, 'incident.read');
  const p = parseInput(listIncidentsInput, input);
  const limit = p.limit ?? INCIDENT_PAGE.default;
  const after = p.after === undefined ? undefined : fromIncidentCursor(p.after);
  const rules = ackRules(ctx);
  const rows = await listIncidentsPage(
    ctx.store.db,
    { state: p.state, severity: p.severity, service: p.service, missingReportout: p.missing_reportout, overdue: p.overdue, after, limit: limit + 1 },
    { ackRules: rules, today: today(ctx) },
  );
  const recipients = rules.filter((r) => !r.thirdPartyOnly).length;
  const extra = rules.length - recipients;
  const incidents = rows.slice(0, limit).map(({ has_third_party, acks_recipient, acks_third_party, ack_overdue, remediation_overdue, ...inc }): ListedIncident => ({
    ...inc,
    summary: {
      reportout: reportOutStatus(inc),
      acks: { done: acks_recipient + (has_third_party === 1 ? acks_third_party : 0), required: recipients + (has_third_party === 1 ? extra : 0) },
      overdue: ack_overdue === 1 || remediation_overdue === 1,
      ack_overdue: ack_overdue === 1,
      remediation_overdue: remediation_overdue === 1,
    },
  }));
  const last = incidents[incidents.length - 1];
  return { incidents, next: rows.length > limit && last !== undefined ? incidentCursor(last) : null };
}

export const moveIncidentInput = z.strictObject({ id: identifier('incident id'), state: z.enum(INCIDENT_STATES) });

/** Moves an incident one step along the workflow; opens the report-out task at the configured state. */
export async function moveIncident(ctx: AppContext, caller: Caller, input: z.input<typeof moveIncidentInput>): Promise<Incident> {
  await authorize(ctx, caller, 'incident.move');
  const p = parseInput(moveIncidentInput, input);
  return inTransaction(ctx, async (trx) => {
    const inc = await lockIncident(trx, p.id);
    if (inc.state === p.state) throw new ClError('CL_CONFLICT', `${inc.id} is already ${inc.state}`, { from: inc.state, to: p.state, current: inc.state });
    const check = checkMove(inc.state, p.state);
    if (!check.ok) throw new ClError('CL_INVALID_TRANSITION', `${inc.id}: ${check.reason}`, { from: inc.state, to: p.state, allowed: check.allowed, current: inc.state });
    const at = isoNow(ctx);
    const opensReportOut = inc.reportout_opened_at === null && reached(p.state, ctx.config.workflow.reportout_opens_on);
    const next: Incident = { ...inc, state: p.state, updated_at: at, reportout_opened_at: opensReportOut ? at : inc.reportout_opened_at };
    await updateIncident(trx, inc.id, { state: next.state, updated_at: at, reportout_opened_at: next.reportout_opened_at });
    await audit(trx, ctx, caller, { action: `incident.moved.${p.state}`, entityType: 'incident', entityId: inc.id, incidentId: inc.id, state: next });
    if (opensReportOut) {
      await audit(trx, ctx, caller, { action: 'reportout.task_opened', entityType: 'incident', entityId: inc.id, incidentId: inc.id, state: { incident: inc.id, opened_at: at } });
    }
    return next;
  });
}

/** The roles that must receive the report-out: the control card's, plus third-party roles when a weakness is third-party. */
export function requiredRoles(ctx: AppContext, weaknesses: readonly { type: string }[]): string[] {
  const roles = [...ctx.config.control_card.recipient_roles];
  if (weaknesses.some((w) => w.type === 'third_party')) {
    for (const r of ctx.config.workflow.third_party_roles) if (!roles.includes(r)) roles.push(r);
  }
  return roles;
}

/** Evaluates the closure gate over the incident's stored records. */
export async function gateFor(db: Db, ctx: AppContext, inc: Incident): Promise<GateMissing[]> {
  const [weaknesses, notifications, acknowledged, remediation, risks, notices] = await Promise.all([
    weaknessesForGate(db, inc.id),
    reportOutDeliveries(db, inc.id),
    acknowledgedRoles(db, inc.id),
    remediationForGate(db, inc.id),
    riskAcceptancesForGate(db, inc.id),
    noticesForGate(db, inc.id),
  ]);
  return evaluateGate({
    weaknesses,
    noneIdentifiedRationale: inc.none_identified_rationale,
    reportoutSent: inc.reportout_sent_at !== null,
    requiredRoles: requiredRoles(ctx, weaknesses),
    notifications,
    acknowledgedRoles: acknowledged,
    remediation,
    risks,
    notices,
    today: today(ctx),
  });
}

export const closeIncidentInput = z
  .strictObject({
    id: identifier('incident id'),
    non_incident: z.boolean().default(false),
    rationale: nonEmpty('rationale').optional(),
  })
  .refine((v) => !v.non_incident || v.rationale !== undefined, { path: ['rationale'], message: 'a non-incident closure needs a rationale' });

export interface CloseResult {
  incident: Incident;
  /** Gate items that were missing; non-empty only in soft mode (hard mode refuses instead). */
  flagged: GateMissing[];
}

/**
 * Closes an incident through the closure gate. Hard mode refuses with every missing item (code
 * CL_GATE_REFUSED, details.missing); soft mode closes but records the gaps for post-closure review.
 */
export async function closeIncident(ctx: AppContext, caller: Caller, input: z.input<typeof closeIncidentInput>): Promise<CloseResult> {
  await authorize(ctx, caller, 'incident.close');
  const p = parseInput(closeIncidentInput, input);
  return inTransaction(ctx, async (trx) => {
    const inc = await lockIncident(trx, p.id);
    const at = isoNow(ctx);
    const state = inc.state;
    if (isClosed(state)) throw new ClError('CL_CONFLICT', `${inc.id} is already ${state}`, { from: state, current: state });
    if (p.non_incident) {
      if (!NON_INCIDENT_CLOSABLE_FROM.includes(state)) {
        throw new ClError('CL_INVALID_TRANSITION', `${inc.id} is in ${state}; a non-incident determination is made from ${NON_INCIDENT_CLOSABLE_FROM.join(' or ')}`, { from: state, current: state });
      }
      const weaknesses = await weaknessIdsOfIncident(trx, inc.id);
      if (weaknesses.length > 0) {
        throw new ClError('CL_RULE_REFUSED', `${inc.id} has ${weaknesses.length} weakness(es) recorded; it cannot be closed as a non-incident`);
      }
      const next: Incident = {
        ...inc,
        state: 'closed_non_incident',
        determination: 'non_incident',
        determination_rationale: p.rationale ?? null,
        none_identified_rationale: `non-incident: ${p.rationale ?? ''}`,
        updated_at: at,
        closed_at: at,
      };
      await updateIncident(trx, inc.id, { state: next.state, determination: next.determination, determination_rationale: next.determination_rationale, none_identified_rationale: next.none_identified_rationale, updated_at: at, closed_at: at });
      await audit(trx, ctx, caller, { action: 'incident.closed_non_incident', entityType: 'incident', entityId: inc.id, incidentId: inc.id, state: next });
      await notifyClosed(trx, ctx, caller, next, []);
      return { incident: next, flagged: [] };
    }
    if (!CLOSABLE_FROM.includes(state)) {
      throw new ClError('CL_INVALID_TRANSITION', `${inc.id} is in ${state}; it can be closed from ${CLOSABLE_FROM.join(', ')} (move it there first), or as a non-incident from ${NON_INCIDENT_CLOSABLE_FROM.join(' or ')}`, { from: state, current: state });
    }
    const missing = await gateFor(trx, ctx, inc);
    if (missing.length > 0 && ctx.config.gate.mode === 'hard') {
      throw new ClError('CL_GATE_REFUSED', `${inc.id} cannot be closed: ${missing.length} closure item(s) missing:\n${missing.map((m) => `  - ${m.message}`).join('\n')}`, { incident: inc.id, missing });
    }
    const next: Incident = { ...inc, state: 'closed', determination: 'incident', updated_at: at, closed_at: at, gate_flags: missing.length > 0 ? JSON.stringify(missing) : null };
    await updateIncident(trx, inc.id, { state: 'closed', determination: 'incident', updated_at: at, closed_at: at, gate_flags: next.gate_flags });
    await audit(trx, ctx, caller, { action: missing.length > 0 ? 'incident.closed_with_gaps' : 'incident.closed', entityType: 'incident', entityId: inc.id, incidentId: inc.id, state: next });
    await notifyClosed(trx, ctx, caller, next, missing);
    return { incident: next, flagged: missing };
  });
}

/** Tells the subscribed integrations that an incident closed (`incident.closed`), with its determination and any gaps it closed with. */
function notifyClosed(trx: Trx, ctx: AppContext, caller: Caller, inc: Incident, gaps: readonly GateMissing[]): Promise<Notification[]> {
  const at = inc.closed_at ?? '';
  const lines = [{ label: 'determination', text: inc.determination ?? '' }, ...gaps.map((g) => ({ label: 'gap', text: g.message }))];
  const link = incidentLink(ctx, inc.id);
  return notifySubscribers(trx, ctx, caller, { type: 'incident.closed', incident: eventIncident(inc), lines, links: link === undefined ? {} : { incident: link }, data: { determination: inc.determination, closed_at: at, gaps } }, { incident: inc.id, key: `${inc.id}:${at}` });
}

export const reopenIncidentInput = z.strictObject({ id: identifier('incident id'), reason: nonEmpty('reason') });

/** Reopens a closed incident (audited with the reason): real incidents go back to post_incident. */
export async function reopenIncident(ctx: AppContext, caller: Caller, input: z.input<typeof reopenIncidentInput>): Promise<Incident> {
  await authorize(ctx, caller, 'incident.reopen');
  const p = parseInput(reopenIncidentInput, input);
  return inTransaction(ctx, async (trx) => {
    const inc = await lockIncident(trx, p.id);
    const state = inc.state;
    if (!isClosed(state)) throw new ClError('CL_INVALID_TRANSITION', `${inc.id} is ${state}, not closed; only a closed incident can be reopened`, { from: state, current: state });
    const at = isoNow(ctx);
    const target = reopenTarget(state);
    const next: Incident = {
      ...inc,
      state: target,
      closed_at: null,
      updated_at: at,
      ...(state === 'closed_non_incident' ? { determination: null, determination_rationale: null, none_identified_rationale: null } : {}),
    };
    await updateIncident(trx, inc.id, { state: next.state, closed_at: null, updated_at: at, determination: next.determination, determination_rationale: next.determination_rationale, none_identified_rationale: next.none_identified_rationale });
    await audit(trx, ctx, caller, { action: 'incident.reopened', entityType: 'incident', entityId: inc.id, incidentId: inc.id, state: { ...next, reopen_reason: p.reason } });
    return next;
  });
}

/** One message to a role as evidence: where it went, how delivery went, and what the receiver answered. */
export interface MessageEvidence {
  id: string;
  purpose: Notification['purpose'];
  revision: number | null;
  channel: string;
  address: string;
  status: Notification['status'];
  attempts: number;
  delivered_at: string | null;
  /** The channel's message id (SMTP Message-ID, webhook-id, ticket key). */
  message_id: string | null;
  /** What the receiver answered: response code, response text, ticket. */
  proof: Omit<DeliveryProof, 'messageId'> | null;
  last_error: string | null;
}

/** Per recipient role: every message it was sent and its acknowledgment (who, when, how), with any a revision superseded. */
export interface RoleEvidence {
  role: string;
  messages: MessageEvidence[];
  acknowledgment: Pick<Acknowledgment, 'actor' | 'at' | 'via' | 'revision' | 'comment'> | null;
  superseded: Pick<SupersededAcknowledgment, 'actor' | 'at' | 'via' | 'revision' | 'superseded_by'>[];
}

/**
 * The delivery evidence of an incident, role by role (the required roles first, then any other
 * role a message went to): what an assessor asks to see of IR-6(2), and what an evidence bundle exports.
 */
export function deliveryEvidence(roles: readonly string[], notifications: readonly Notification[], acks: readonly Acknowledgment[], superseded: readonly SupersededAcknowledgment[]): RoleEvidence[] {
  const all = [...roles, ...notifications.map((n) => n.role).filter((r, i, a) => !roles.includes(r) && a.indexOf(r) === i)];
  return all.map((role) => {
    const ack = acks.find((a) => a.role === role);
    return {
      role,
      messages: notifications
        .filter((n) => n.role === role)
        .map((n) => ({
          id: n.id,
          purpose: n.purpose,
          revision: reportOutRevisionOf(n.idempotency_key),
          channel: n.channel,
          address: n.address,
          status: n.status,
          attempts: n.attempts,
          delivered_at: n.delivered_at,
          message_id: n.message_id,
          proof: n.proof === null ? null : (JSON.parse(n.proof) as Omit<DeliveryProof, 'messageId'>),
          last_error: n.status === 'delivered' ? null : n.last_error,
        })),
      acknowledgment: ack === undefined ? null : { actor: ack.actor, at: ack.at, via: ack.via, revision: ack.revision, comment: ack.comment },
      superseded: superseded.filter((a) => a.role === role).map((a) => ({ actor: a.actor, at: a.at, via: a.via, revision: a.revision, superseded_by: a.superseded_by })),
    };
  });
}

/** Everything known about one incident, for `incident show` and the API. */
export async function showIncident(ctx: AppContext, caller: Caller, id: string) {
  await authorize(ctx, caller, 'incident.read');
  const db = ctx.store.db;
  const inc = await loadIncident(db, id);
  const [assets, weaknesses, notifications, acknowledgments, remediation, history, risks, notices, handoffs, decisions] = await Promise.all([
    incidentAssetIds(db, id),
    weaknessesOfIncident(db, id),
    notificationsOfIncident(db, id),
    acknowledgmentsOfIncident(db, id),
    remediationOfIncident(db, id),
    remediationHistoryOfIncident(db, id),
    riskAcceptancesOfIncident(db, id),
    noticesOfIncident(db, id),
    handoffNoteHeadsOfIncident(db, id),
    decisionsOfIncident(db, id),
  ]);
  const grouping = await groupingOfIncident(db, id);
  const gate = isClosed(inc.state) ? [] : await gateFor(db, ctx, inc);
  const superseded = await supersededOfIncident(db, id);
  const day = today(ctx);
  return {
    incident: inc,
    assets,
    weaknesses: weaknesses.map((w) => ({ ...w, assets: JSON.parse(w.assets) as string[], vulnerabilities: JSON.parse(w.vulnerabilities) as string[] })),
    notifications,
    acknowledgments,
    remediation: remediation.map((r) => ({ ...r, history: history.filter((h) => h.item_id === r.id).map(({ item_id: _i, ...h }) => h) })),
    risk_acceptances: risks.map((r) => ({ ...r, effective_state: effectiveRiskState(r, day) })),
    third_party_notices: notices,
    handoff_notes: handoffs,
    decisions: decisions.map((d) => ({ ...d, triggers: JSON.parse(d.triggers) as string[] })),
    required_roles: requiredRoles(ctx, weaknesses),
    evidence: deliveryEvidence(requiredRoles(ctx, weaknesses), notifications, acknowledgments, superseded),
    gate: { ready: gate.length === 0, missing: gate },
    gate_flags: inc.gate_flags ? (JSON.parse(inc.gate_flags) as GateMissing[]) : [],
    grouping,
  };
}
export type IncidentView = Awaited<ReturnType<typeof showIncident>>;

// The record each input describes, named when a field is refused (see parseInput).
recordInput('incident', openIncidentInput);
recordInput('incident', moveIncidentInput);
recordInput('incident', reopenIncidentInput);
