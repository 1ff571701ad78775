/**
 * The workflow's timers (SPEC §3–§4), each firing exactly once: acknowledgment SLAs with their
 * escalation levels, remediation items past their due date, and risk acceptances nearing or
 * reaching their review date. Time comes from the context's clock. A firing is a row in
 * `timer_firings` written in the same transaction as what it does (`fireOnce`): two servers on one
 * PostgreSQL, the CLI beside the server, or a server restarted mid-pass never fire one twice, and a
 * firing whose transaction rolled back is made again on the next pass. Every message leaves through
 * the outbox. The server's loop runs them as the system (TIMERS); `closeloop remind` runs one pass.
 */
import { isClosed } from '../domain/incident.js';
import type { Route } from '../config/schema.js';
import { isTicketChannel } from '../config/tickets.js';
import { counterValue } from '../store/counters.js';
import { acknowledgedRoles } from '../store/repositories/acknowledgments.js';
import { findIncident, incidentsWithReportOutSentBy, lockIncident } from '../store/repositories/incidents.js';
import { approvedRisksReviewedBy, expireRisk, firedSubjects, fireOnce, markOverdue, overdueItems } from '../store/repositories/timers.js';
import { weaknessesForGate } from '../store/repositories/weaknesses.js';
import type { DeliveryEvent } from '../delivery/channel.js';
import type { Incident, NotificationPurpose, RemediationItem, RiskAcceptance } from '../store/schema.js';
import { addDays, audit, inTransaction, isoNow, rolesOf, today, type AppContext, type Caller, type Trx } from './context.js';
import { requiredRoles } from './incidents.js';
import { enqueue, eventIncident, incidentLink, notifySubscribers } from './outbox.js';
import { reportOutCounter, routesFor } from './reportout.js';
import { authorizeCaller } from './system-caller.js';

export interface TimerSummary {
  /** Incidents with an acknowledgment level that fired in this pass. */
  incidents: number;
  /** Reminders to roles that have not acknowledged. */
  reminders: number;
  /** Notices to the roles a level escalates to (the IR lead, the control owner, …), one per level and role told. */
  escalations: number;
  /** Remediation items found past their due date (flagged and their owner told). */
  items_overdue: number;
  /** Risk acceptances whose review date is near (owner and approver told). */
  risk_warnings: number;
  /** Risk acceptances that reached their review date: expired, owner and approver told. */
  risks_expired: number;
}

/** One escalation level: after how long without an acknowledgment, and whom it tells. */
export interface AckLevel {
  after_hours: number;
  /** `role` is the role that has not acknowledged; `control_owner` the control card's owner role; anything else a role name. */
  notify: readonly string[];
}

/** The escalation ladder of a recipient role: its own from `workflow.ack_escalation.roles`, else the default. */
export function ackLadder(ctx: AppContext, role: string): readonly AckLevel[] {
  const esc = ctx.config.workflow.ack_escalation;
  const own = Object.hasOwn(esc.roles, role) ? esc.roles[role] : undefined;
  return own ?? esc.levels ?? [{ after_hours: ctx.config.workflow.ack_sla_hours, notify: ['role', 'ir_lead'] }];
}

/** Runs every timer that is due, once. */
export async function runTimers(ctx: AppContext, caller: Caller): Promise<TimerSummary> {
  await authorizeCaller(ctx, caller, 'delivery.run');
  const summary: TimerSummary = { incidents: 0, reminders: 0, escalations: 0, items_overdue: 0, risk_warnings: 0, risks_expired: 0 };
  await ackTimers(ctx, caller, summary);
  await overdueTimers(ctx, caller, summary);
  await riskTimers(ctx, caller, summary);
  return summary;
}

/** A level of one role that is due on an incident: `INC:rN:ROLE:Ln`. */
interface DueLevel {
  subject: string;
  revision: number;
  role: string;
  level: number;
  spec: AckLevel;
}

async function ackTimers(ctx: AppContext, caller: Caller, summary: TimerSummary): Promise<void> {
  const recipients = new Set([...ctx.config.control_card.recipient_roles, ...ctx.config.workflow.third_party_roles]);
  const firstHours = Math.min(...[...recipients].flatMap((r) => ackLadder(ctx, r).map((l) => l.after_hours)));
  const now = ctx.now().getTime();
  const candidates = await incidentsWithReportOutSentBy(ctx.store.db, new Date(now - firstHours * 3_600_000).toISOString());
  for (const seen of candidates) {
    if (isClosed(seen.state)) continue;
    // What is due, read without a lock; the transaction is taken only when something has not fired.
    if ((await dueLevels(ctx.store.db, ctx, seen, now, true)).length === 0) continue;
    await inTransaction(ctx, async (trx) => {
      // Under the incident's lock, as `acknowledge` is: an acknowledgment committed first is seen.
      const inc = await lockIncident(trx, seen.id);
      if (inc === undefined || isClosed(inc.state)) return;
      const fired: DueLevel[] = [];
      for (const due of await dueLevels(trx, ctx, inc, now, false)) {
        if (await fireOnce(trx, 'ack', due.subject, isoNow(ctx))) fired.push(due);
      }
      if (fired.length === 0) return;
      summary.incidents += 1;
      await tellAckLevels(trx, ctx, caller, inc, fired, summary);
    });
  }
}

/** The levels due on an incident now, for roles that have not acknowledged; `unfiredOnly` drops those fired. */
async function dueLevels(db: Trx | AppContext['store']['db'], ctx: AppContext, inc: Incident, now: number, unfiredOnly: boolean): Promise<DueLevel[]> {
  if (inc.reportout_sent_at === null) return [];
  const [weaknesses, acks, sent] = await Promise.all([weaknessesForGate(db, inc.id), acknowledgedRoles(db, inc.id), counterValue(db, reportOutCounter(inc.id))]);
  const revision = sent === 0 ? 1 : sent;
  const acked = new Set(acks);
  const elapsedHours = (now - Date.parse(inc.reportout_sent_at)) / 3_600_000;
  const due: DueLevel[] = [];
  for (const role of requiredRoles(ctx, weaknesses).filter((r) => !acked.has(r))) {
    for (const [i, spec] of ackLadder(ctx, role).entries()) {
      if (elapsedHours >= spec.after_hours) due.push({ subject: `${inc.id}:r${revision}:${role}:L${i + 1}`, revision, role, level: i + 1, spec });
    }
  }
  if (!unfiredOnly) return due;
  const fired = await firedSubjects(db, 'ack', due.map((d) => d.subject));
  return due.filter((d) => !fired.has(d.subject));
}

/** Queues what the fired levels say: a reminder to each overdue role, one notice per level to each role told. */
async function tellAckLevels(trx: Trx, ctx: AppContext, caller: Caller, inc: Incident, fired: readonly DueLevel[], summary: TimerSummary): Promise<void> {
  const sentAt = inc.reportout_sent_at ?? '';
  const notices = new Map<string, { revision: number; level: number; hours: number; target: string; roles: string[] }>();
  for (const due of fired) {
    for (const target of due.spec.notify) {
      if (target === 'role') {
        summary.reminders += await queueTo(trx, ctx, caller, inc.id, due.role, inc.service, `ack:${due.subject}`, {
          subject: `[closeloop] reminder: ${inc.id} report-out awaits acknowledgment by ${due.role}`,
          body: `The IR-6(2) report-out of ${inc.id} (${inc.title}) was sent ${sentAt} and role ${due.role} has not acknowledged it within ${due.spec.after_hours} h.\nAcknowledge: closeloop ack ${inc.id} --role ${due.role}`,
          event: { type: 'ack.reminder', incident: eventIncident(inc), revision: due.revision, links: links(ctx, inc.id), data: { role: due.role, level: due.level, after_hours: due.spec.after_hours } },
        });
        continue;
      }
      const role = target === 'control_owner' ? ctx.config.control_card.owner_role : target;
      const key = `${due.level}:${role}`;
      const notice = notices.get(key) ?? { revision: due.revision, level: due.level, hours: due.spec.after_hours, target: role, roles: [] };
      notice.roles.push(due.role);
      notices.set(key, notice);
    }
  }
  for (const n of notices.values()) {
    const roles = [...n.roles].sort();
    const sent = await queueTo(trx, ctx, caller, inc.id, n.target, inc.service, `ack-escalation:${inc.id}:r${n.revision}:L${n.level}:${roles.join(',')}:${n.target}`, {
      subject: `[closeloop] ${inc.id}: ${roles.length} role(s) past the acknowledgment SLA`,
      body: `Roles that have not acknowledged the report-out of ${inc.id} (${inc.title}), sent ${sentAt}, within ${n.hours} h (escalation level ${n.level}): ${roles.join(', ')}.`,
      event: { type: 'ack.overdue', incident: eventIncident(inc), revision: n.revision, links: links(ctx, inc.id), data: { roles, level: n.level, after_hours: n.hours } },
    });
    summary.escalations += sent > 0 ? 1 : 0;
  }
}

/** What a timer's message says: its text, and the event channels render. */
interface TimerMessage {
  subject: string;
  body: string;
  event: DeliveryEvent;
}

/**
 * Queues a message to every route of `role` but its ticket systems (a reminder is no ticket: an
 * overdue item's own ticket already tracks it); the number queued (0 when the role has no such route).
 */
async function queueTo(trx: Trx, ctx: AppContext, caller: Caller, incident: string, role: string, service: string | null, key: string, m: TimerMessage, purpose: NotificationPurpose = 'reminder'): Promise<number> {
  const routes: readonly Route[] = routesFor(ctx, role, service).filter((r) => !isTicketChannel(r.channel));
  for (const route of routes) {
    await enqueue(trx, ctx, caller, { incident, purpose, role, route, ...m, idempotencyKey: `${key}:${route.channel}:${route.address}` });
  }
  return routes.length;
}

/** The incident's link for an event's `links`. */
function links(ctx: AppContext, incident: string): NonNullable<DeliveryEvent['links']> {
  const link = incidentLink(ctx, incident);
  return link === undefined ? {} : { incident: link };
}

/** Remediation items past their due date: flagged overdue (audited) and their owner role told, once per due date. */
async function overdueTimers(ctx: AppContext, caller: Caller, summary: TimerSummary): Promise<void> {
  const day = today(ctx);
  const items = await overdueItems(ctx.store.db, day);
  const subject = (item: RemediationItem): string => `${item.id}:${item.due ?? ''}`;
  const fired = await firedSubjects(ctx.store.db, 'remediation-overdue', items.map(subject));
  for (const item of items.filter((i) => !fired.has(subject(i)))) {
    await inTransaction(ctx, async (trx) => {
      const at = isoNow(ctx);
      if (!(await fireOnce(trx, 'remediation-overdue', subject(item), at))) return;
      await markOverdue(trx, item.id, at);
      const flagged = { ...item, overdue_since: item.overdue_since ?? at };
      await audit(trx, ctx, caller, { action: 'remediation.overdue', entityType: 'remediation_item', entityId: item.id, incidentId: item.incident_id, state: flagged });
      summary.items_overdue += 1;
      if (item.incident_id === null) return;
      const inc = await findIncident(trx, item.incident_id);
      const message: TimerMessage = {
        subject: `[closeloop] ${item.id} is overdue (due ${item.due ?? ''})`,
        body: `Remediation item ${item.id} of ${item.incident_id} (${item.criteria}), assigned to ${item.assignee}, was due ${item.due ?? ''} and is still ${item.status}.`,
        event: {
          type: 'remediation.overdue',
          incident: inc === undefined ? null : eventIncident(inc),
          lines: [
            { label: 'item', text: item.id },
            { label: 'criteria', text: item.criteria },
            { label: 'due', text: item.due ?? '' },
          ],
          links: links(ctx, item.incident_id),
          data: { item: item.id, due: item.due, assignee: item.assignee, status: item.status },
        },
      };
      await queueTo(trx, ctx, caller, item.incident_id, item.owner_role, inc?.service ?? null, `remediation-overdue:${subject(item)}`, message, 'sla');
      await notifySubscribers(trx, ctx, caller, message.event, { incident: item.incident_id, subjectRef: item.id, key: subject(item), subject: message.subject, body: message.body });
    });
  }
}

/**
 * Approved risk acceptances: a warning `workflow.risk_review_warning_days` before the review date,
 * and on it the acceptance expires (stored and audited; the closure gate counts its weakness again).
 * The requester and the approver are told, through the routes of their roles.
 */
async function riskTimers(ctx: AppContext, caller: Caller, summary: TimerSummary): Promise<void> {
  const day = today(ctx);
  const horizon = addDays(day, ctx.config.workflow.risk_review_warning_days);
  const risks = await approvedRisksReviewedBy(ctx.store.db, horizon);
  const subjectOf = (risk: RiskAcceptance): string => `${risk.id}:${risk.review_by}`;
  // what has fired, read once a pass: a warned acceptance stays in the horizon until it expires
  const fired = {
    'risk-expiry': await firedSubjects(ctx.store.db, 'risk-expiry', risks.filter((r) => r.review_by <= day).map(subjectOf)),
    'risk-review-warning': await firedSubjects(ctx.store.db, 'risk-review-warning', risks.filter((r) => r.review_by > day).map(subjectOf)),
  };
  for (const risk of risks) {
    const expiring = risk.review_by <= day;
    const kind = expiring ? 'risk-expiry' : 'risk-review-warning';
    const subject = subjectOf(risk);
    if (fired[kind].has(subject)) continue;
    await inTransaction(ctx, async (trx) => {
      if (!(await fireOnce(trx, kind, subject, isoNow(ctx)))) return;
      if (expiring) {
        if (!(await expireRisk(trx, risk.id))) return;
        await audit(trx, ctx, caller, { action: 'risk.expired', entityType: 'risk_acceptance', entityId: risk.id, incidentId: risk.incident_id, state: { ...risk, state: 'expired' } });
        summary.risks_expired += 1;
      } else {
        await audit(trx, ctx, caller, { action: 'risk.review_warning', entityType: 'risk_acceptance', entityId: risk.id, incidentId: risk.incident_id, state: { id: risk.id, review_by: risk.review_by, warned_on: day } });
        summary.risk_warnings += 1;
      }
      await tellRiskParties(trx, ctx, caller, risk, expiring);
    });
  }
}

/** The requester's roles and the approver's approving roles, those with a route (the control owner when none has). */
async function riskParties(trx: Trx, ctx: AppContext, risk: RiskAcceptance): Promise<string[]> {
  const approving = ctx.config.control_card.exception_rules.approver_roles;
  const roles = [...(await rolesOf(ctx, risk.requester, trx)), ...(risk.approver === null ? [] : (await rolesOf(ctx, risk.approver, trx)).filter((r) => approving.includes(r)))];
  const routed = [...new Set(roles)].filter((r) => routesFor(ctx, r, null).length > 0);
  return routed.length > 0 ? routed : [ctx.config.control_card.owner_role];
}

async function tellRiskParties(trx: Trx, ctx: AppContext, caller: Caller, risk: RiskAcceptance, expired: boolean): Promise<void> {
  const inc = await findIncident(trx, risk.incident_id);
  const text = expired
    ? {
        subject: `[closeloop] risk acceptance ${risk.id} expired (review date ${risk.review_by})`,
        body: `Risk acceptance ${risk.id} of weakness ${risk.weakness_id} (${risk.incident_id}), requested by ${risk.requester} and approved by ${risk.approver ?? 'nobody'}, reached its review date ${risk.review_by} and has expired. The weakness needs a remediation item or a new acceptance before ${risk.incident_id} can close.`,
      }
    : {
        subject: `[closeloop] risk acceptance ${risk.id} is due for review on ${risk.review_by}`,
        body: `Risk acceptance ${risk.id} of weakness ${risk.weakness_id} (${risk.incident_id}), requested by ${risk.requester} and approved by ${risk.approver ?? 'nobody'}, expires on ${risk.review_by}. Review it, or request a new acceptance.`,
      };
  const event: DeliveryEvent = {
    type: expired ? 'risk.expired' : 'risk.review_due',
    incident: inc === undefined ? null : eventIncident(inc),
    lines: [
      { label: 'risk acceptance', text: risk.id },
      { label: 'weakness', text: risk.weakness_id },
      { label: 'review date', text: risk.review_by },
    ],
    links: links(ctx, risk.incident_id),
    data: { risk: risk.id, weakness: risk.weakness_id, review_by: risk.review_by, requester: risk.requester, approver: risk.approver },
  };
  for (const role of await riskParties(trx, ctx, risk)) {
    await queueTo(trx, ctx, caller, risk.incident_id, role, inc?.service ?? null, `${expired ? 'risk-expired' : 'risk-review'}:${risk.id}:${risk.review_by}:${role}`, { ...text, event }, 'sla');
  }
  await notifySubscribers(trx, ctx, caller, event, { incident: risk.incident_id, subjectRef: risk.id, key: `${risk.id}:${risk.review_by}`, ...text });
}
