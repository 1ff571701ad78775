import { z } from 'zod';
import { effectiveRiskState } from '../domain/gate.js';
import { REMEDIATION_MOVES, REMEDIATION_STATES, type RemediationState } from '../domain/incident.js';
import { ClError, notFound } from '../errors.js';
import type { Db, RemediationItem, RiskAcceptance, ThirdPartyNotice, Weakness } from '../store/schema.js';
import { appendRemediationHistory, findRemediationItem, insertRemediationItem, setRemediationStatus } from '../store/repositories/remediation.js';
import { findRiskAcceptance, insertRiskAcceptance, recordRiskDecision } from '../store/repositories/risk-acceptances.js';
import { findThirdPartyNotice, insertThirdPartyNotice, noticeOfWeakness, updateThirdPartyNotice } from '../store/repositories/third-party-notices.js';
import { vulnerabilitiesByIds } from '../store/repositories/knowledge.js';
import { findWeakness } from '../store/repositories/weaknesses.js';
import { addDays, audit, earliestDate, authorize, inTransaction, isoNow, nextId, rolesOf, today, type AppContext, type Caller, type Trx } from './context.js';
import { assertIncidentOpen, lockIncident } from './incidents.js';
import { queueItemTickets } from './tickets.js';
import { identifier, isoDate, nonEmpty, parseInput, recordInput, shortText } from './validate.js';

async function loadWeakness(db: Db, id: string): Promise<Weakness> {
  const w = await findWeakness(db, id);
  if (!w) throw notFound('weakness', id);
  return w;
}

// ---- remediation ------------------------------------------------------------------------------

export const addRemediationInput = z.strictObject({
  weakness: identifier('weakness id'),
  owner_role: identifier('owner role'),
  assignee: identifier('assignee'),
  criteria: nonEmpty('closure criteria'),
  due: isoDate.optional(),
  ticket: shortText('ticket').optional(),
});

async function insertHistory(trx: Trx, ctx: AppContext, caller: Caller, itemId: string, status: RemediationState): Promise<void> {
  await appendRemediationHistory(trx, { itemId, status, actor: caller.actor, at: isoNow(ctx) });
}

/**
 * Opens a remediation item for a weakness. The due date, unless given, is the SLA policy's by
 * incident severity (`workflow.remediation_due_days`), or the earliest CISA KEV due date of the
 * weakness's vulnerabilities when that is earlier (a KEV date already past makes the item overdue
 * at once, as it is).
 */
export async function addRemediation(ctx: AppContext, caller: Caller, input: z.input<typeof addRemediationInput>): Promise<RemediationItem> {
  await authorize(ctx, caller, 'remediation.edit');
  const p = parseInput(addRemediationInput, input);
  return inTransaction(ctx, async (trx) => {
    const w = await loadWeakness(trx, p.weakness);
    const inc = await lockIncident(trx, w.incident_id);
    assertIncidentOpen(inc);
    const at = isoNow(ctx);
    const due = p.due ?? earliestDate(addDays(today(ctx), ctx.config.workflow.remediation_due_days[inc.severity]), await kevDueDate(trx, w));
    const row: RemediationItem = {
      id: await nextId(trx, 'RI'),
      incident_id: inc.id,
      weakness_id: w.id,
      finding_id: null,
      owner_role: p.owner_role,
      assignee: p.assignee,
      criteria: p.criteria,
      due,
      ticket: p.ticket ?? null,
      status: 'open',
      overdue_since: null,
      created_at: at,
      updated_at: at,
    };
    await insertRemediationItem(trx, row);
    await insertHistory(trx, ctx, caller, row.id, 'open');
    await audit(trx, ctx, caller, { action: 'remediation.opened', entityType: 'remediation_item', entityId: row.id, incidentId: inc.id, state: row });
    await queueItemTickets(trx, ctx, caller, [row]);
    return row;
  });
}

/** The earliest KEV due date of a weakness's vulnerabilities, if any is in KEV. */
async function kevDueDate(trx: Trx, w: Weakness): Promise<string | null> {
  const ids = JSON.parse(w.vulnerabilities) as string[];
  if (ids.length === 0) return null;
  const dates = (await vulnerabilitiesByIds(trx, ids)).map((v) => v.kev_due_date).filter((d): d is string => d !== null);
  return dates.length === 0 ? null : dates.reduce((a, b) => (a < b ? a : b));
}

export const moveRemediationInput = z.strictObject({ item: identifier('remediation item id'), state: z.enum(REMEDIATION_STATES) });

export async function moveRemediation(ctx: AppContext, caller: Caller, input: z.input<typeof moveRemediationInput>): Promise<RemediationItem> {
  await authorize(ctx, caller, 'remediation.edit');
  const p = parseInput(moveRemediationInput, input);
  return inTransaction(ctx, async (trx) => {
    const item = await findRemediationItem(trx, p.item);
    if (!item) throw notFound('remediation item', p.item);
    const allowed = REMEDIATION_MOVES[item.status];
    if (!allowed.includes(p.state)) {
      throw new ClError('CL_INVALID_TRANSITION', `${item.id}: cannot move from ${item.status} to ${p.state}; allowed: ${allowed.join(', ') || 'none'}`, { from: item.status, to: p.state, allowed });
    }
    const at = isoNow(ctx);
    if (!(await setRemediationStatus(trx, item.id, item.status, p.state, at))) {
      const current = (await findRemediationItem(trx, item.id))?.status;
      throw new ClError('CL_CONFLICT', `${item.id} was moved meanwhile: it is now ${current ?? 'gone'}`, { current });
    }
    await insertHistory(trx, ctx, caller, item.id, p.state);
    const next = { ...item, status: p.state, updated_at: at };
    await audit(trx, ctx, caller, { action: `remediation.moved.${p.state}`, entityType: 'remediation_item', entityId: item.id, incidentId: item.incident_id, state: next });
    return next;
  });
}

// ---- risk acceptance --------------------------------------------------------------------------

export const requestRiskInput = z.strictObject({
  weakness: identifier('weakness id'),
  rationale: nonEmpty('rationale'),
  controls: nonEmpty('compensating controls'),
  review_by: isoDate,
});

/** Requests a risk acceptance (the exception path) for a weakness that cannot be remediated quickly. */
export async function requestRisk(ctx: AppContext, caller: Caller, input: z.input<typeof requestRiskInput>): Promise<RiskAcceptance> {
  await authorize(ctx, caller, 'risk.request');
  const p = parseInput(requestRiskInput, input);
  const day = today(ctx);
  if (p.review_by <= day) throw new ClError('CL_BAD_INPUT', `review_by ${p.review_by} must be after today (${day})`, { fields: [{ field: 'review_by', message: 'a future date' }] });
  const max = ctx.config.control_card.exception_rules.max_review_days;
  const limit = addDays(day, max);
  if (p.review_by > limit) throw new ClError('CL_RULE_REFUSED', `review_by ${p.review_by} is beyond the control card's limit of ${max} days (${limit})`);
  return inTransaction(ctx, async (trx) => {
    const w = await loadWeakness(trx, p.weakness);
    assertIncidentOpen(await lockIncident(trx, w.incident_id));
    const row: RiskAcceptance = {
      id: await nextId(trx, 'RA'),
      incident_id: w.incident_id,
      weakness_id: w.id,
      requester: caller.actor,
      approver: null,
      rationale: p.rationale,
      controls: p.controls,
      review_by: p.review_by,
      state: 'requested',
      reason: null,
      created_at: isoNow(ctx),
      decided_at: null,
    };
    await insertRiskAcceptance(trx, row);
    await audit(trx, ctx, caller, { action: 'risk.requested', entityType: 'risk_acceptance', entityId: row.id, incidentId: w.incident_id, state: row });
    return row;
  });
}

export const decideRiskInput = z.strictObject({ risk: identifier('risk acceptance id'), approve: z.boolean(), reason: nonEmpty('reason').optional() })
  .refine((v) => v.approve || v.reason !== undefined, { path: ['reason'], message: 'a rejection needs a reason' });

/** The refusal to decide an acceptance that is decided: 409 with its current state and decider. */
function alreadyDecided(risk: RiskAcceptance, state: string): ClError {
  const by = risk.approver ? ` by ${risk.approver}` : '';
  return new ClError('CL_CONFLICT', `${risk.id} is already ${state}${by}; only a requested acceptance can be decided`, { from: state, current: state, approver: risk.approver });
}

/**
 * Approves or rejects a requested risk acceptance. The decider must hold an approver role from the
 * control card, and is never the requester (segregation of duties). The decision is a conditional
 * write from `requested`: of two deciders at once, one wins and the other gets CL_CONFLICT with
 * the state the first left.
 */
export async function decideRisk(ctx: AppContext, caller: Caller, input: z.input<typeof decideRiskInput>): Promise<RiskAcceptance> {
  const p = parseInput(decideRiskInput, input);
  const approverRoles = ctx.config.control_card.exception_rules.approver_roles;
  const roles = await rolesOf(ctx, caller.actor);
  if (!roles.some((r) => approverRoles.includes(r))) {
    throw new ClError('CL_FORBIDDEN', `${caller.actor} holds no approving role (${approverRoles.join(', ')}); risk acceptances are decided by those roles only`, { actor: caller.actor, approver_roles: approverRoles });
  }
  return inTransaction(ctx, async (trx) => {
    const risk = await findRiskAcceptance(trx, p.risk);
    if (!risk) throw notFound('risk acceptance', p.risk);
    if (risk.requester === caller.actor) {
      throw new ClError('CL_RULE_REFUSED', `${caller.actor} requested ${risk.id} and cannot also decide it; another approver must`, { requester: risk.requester });
    }
    const state = effectiveRiskState(risk, today(ctx));
    if (state !== 'requested') throw alreadyDecided(risk, state);
    if (p.approve && risk.review_by <= today(ctx)) {
      throw new ClError('CL_RULE_REFUSED', `${risk.id}: its review date ${risk.review_by} has passed; request a new acceptance with a future review date`);
    }
    const at = isoNow(ctx);
    const next: RiskAcceptance = { ...risk, state: p.approve ? 'approved' : 'rejected', approver: caller.actor, reason: p.reason ?? null, decided_at: at };
    if (!(await recordRiskDecision(trx, risk.id, next))) {
      const now = await findRiskAcceptance(trx, risk.id);
      throw alreadyDecided(now ?? risk, now ? effectiveRiskState(now, today(ctx)) : 'requested');
    }
    await audit(trx, ctx, caller, { action: p.approve ? 'risk.approved' : 'risk.rejected', entityType: 'risk_acceptance', entityId: risk.id, incidentId: risk.incident_id, state: next });
    return next;
  });
}

// ---- third parties ----------------------------------------------------------------------------

export const vendorNotifyInput = z.strictObject({ weakness: identifier('weakness id'), channel: shortText('channel'), tracking_item: shortText('tracking item').optional() });

/** Records that the vendor was notified through its contract channel (opens the notice if needed). */
export async function notifyVendor(ctx: AppContext, caller: Caller, input: z.input<typeof vendorNotifyInput>): Promise<ThirdPartyNotice> {
  await authorize(ctx, caller, 'vendor.edit');
  const p = parseInput(vendorNotifyInput, input);
  return inTransaction(ctx, async (trx) => {
    const w = await loadWeakness(trx, p.weakness);
    if (w.type !== 'third_party') throw new ClError('CL_RULE_REFUSED', `${w.id} is a ${w.type} weakness; vendor notices are for third_party weaknesses`);
    const inc = await lockIncident(trx, w.incident_id);
    assertIncidentOpen(inc);
    const at = isoNow(ctx);
    const existing = await noticeOfWeakness(trx, w.id);
    let notice: ThirdPartyNotice;
    if (existing) {
      notice = { ...existing, channel: p.channel, status: 'sent', sent_at: at, tracking_item: p.tracking_item ?? existing.tracking_item };
      await updateThirdPartyNotice(trx, existing.id, { channel: notice.channel, status: 'sent', sent_at: at, tracking_item: notice.tracking_item });
    } else {
      notice = { id: await nextId(trx, 'TP'), incident_id: inc.id, weakness_id: w.id, vendor: w.vendor ?? 'unknown', channel: p.channel, status: 'sent', sent_at: at, response: null, responded_at: null, chased_at: null, tracking_item: p.tracking_item ?? null, created_at: at };
      await insertThirdPartyNotice(trx, notice);
    }
    await audit(trx, ctx, caller, { action: 'third_party_notice.sent', entityType: 'third_party_notice', entityId: notice.id, incidentId: inc.id, state: notice });
    return notice;
  });
}

async function loadNotice(db: Db, id: string): Promise<ThirdPartyNotice> {
  const n = await findThirdPartyNotice(db, id);
  if (!n) throw notFound('third-party notice', id);
  return n;
}

export const vendorResponseInput = z.strictObject({ notice: identifier('notice id'), text: nonEmpty('response text') });

/** Records the vendor's response or RCA statement. */
export async function recordVendorResponse(ctx: AppContext, caller: Caller, input: z.input<typeof vendorResponseInput>): Promise<ThirdPartyNotice> {
  await authorize(ctx, caller, 'vendor.edit');
  const p = parseInput(vendorResponseInput, input);
  return inTransaction(ctx, async (trx) => {
    const n = await loadNotice(trx, p.notice);
    if (n.sent_at === null) throw new ClError('CL_RULE_REFUSED', `${n.id} has not been sent to ${n.vendor} yet (\`closeloop vendor notify ${n.weakness_id} --channel …\`)`);
    const at = isoNow(ctx);
    const next: ThirdPartyNotice = { ...n, response: p.text, responded_at: at, status: 'responded' };
    await updateThirdPartyNotice(trx, n.id, { response: p.text, responded_at: at, status: 'responded' });
    await audit(trx, ctx, caller, { action: 'third_party_notice.response', entityType: 'third_party_notice', entityId: n.id, incidentId: n.incident_id, state: next });
    return next;
  });
}

export const vendorChaseInput = z.strictObject({ notice: identifier('notice id') });

/** Records that an unanswered vendor notice was chased. */
export async function chaseVendor(ctx: AppContext, caller: Caller, input: z.input<typeof vendorChaseInput>): Promise<ThirdPartyNotice> {
  await authorize(ctx, caller, 'vendor.edit');
  const p = parseInput(vendorChaseInput, input);
  return inTransaction(ctx, async (trx) => {
    const n = await loadNotice(trx, p.notice);
    if (n.sent_at === null) throw new ClError('CL_RULE_REFUSED', `${n.id} has not been sent yet; notify the vendor first`);
    const at = isoNow(ctx);
    const next = { ...n, chased_at: at };
    await updateThirdPartyNotice(trx, n.id, { chased_at: at });
    await audit(trx, ctx, caller, { action: 'third_party_notice.chased', entityType: 'third_party_notice', entityId: n.id, incidentId: n.incident_id, state: next });
    return next;
  });
}

// The record each input describes, named when a field is refused (see parseInput).
recordInput('remediation item', addRemediationInput);
recordInput('remediation item', moveRemediationInput);
recordInput('risk acceptance', requestRiskInput);
recordInput('risk acceptance', decideRiskInput);
recordInput('vendor notice', vendorNotifyInput);
recordInput('vendor notice', vendorResponseInput);
recordInput('vendor notice', vendorChaseInput);
