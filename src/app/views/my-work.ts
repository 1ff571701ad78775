/**
 * "My work": what waits on the caller — acknowledgments owed by their roles, remediation items
 * assigned to them or owned by their roles and not yet verified, risk acceptances awaiting their
 * decision, vendor notices to chase when they hold a third-party role, and the incidents they lead.
 */
import { z } from 'zod';
import { INCIDENT_SEVERITIES, INCIDENT_STATES, REMEDIATION_STATES } from '../../domain/incident.js';
import { itemsOwnedBy, noticesToChase, openIncidentsLedBy, openSentIncidents, requestedRisksNotBy } from '../../store/repositories/views.js';
import { authorize, rolesOf, today, type AppContext, type Caller } from '../context.js';
import { reportOutStatus } from '../incidents.js';
import { ackDueAt } from './ack-sla.js';
import { isItemOverdue, noticeOutput, noticeView, riskOutput, riskView, VENDOR_CHASE_DAYS } from './follow-through.js';

const time = z.string().describe('ISO-8601 time');

export const myWorkOutput = z.object({
  actor: z.string(),
  roles: z.array(z.string()),
  /** Report-outs sent to a role the caller holds that the role has not acknowledged, oldest first. */
  acks: z.array(
    z.object({
      incident: z.string(),
      title: z.string(),
      severity: z.enum(INCIDENT_SEVERITIES),
      role: z.string(),
      sent_at: time,
      due_at: time,
      overdue: z.boolean(),
    }),
  ),
  /** Items assigned to the caller or owned by a role they hold, not yet verified, by due date. */
  remediation: z.array(
    z.object({
      id: z.string(),
      incident: z.string().nullable(),
      weakness: z.string().nullable(),
      owner_role: z.string(),
      assignee: z.string(),
      criteria: z.string(),
      status: z.enum(REMEDIATION_STATES),
      due: z.string().nullable(),
      overdue: z.boolean(),
      ticket: z.string().nullable(),
      /** Why it is the caller's: assigned to them, or owned by one of their roles. */
      mine_as: z.enum(['assignee', 'owner_role']),
    }),
  ),
  /** Requested acceptances the caller may decide (an approver role, not the requester). */
  risk_decisions: z.array(riskOutput),
  /** Unanswered vendor notices past their chase date (for holders of a third-party role). */
  vendor_chases: z.array(noticeOutput),
  /** Open incidents the caller leads. */
  leading: z.array(
    z.object({ id: z.string(), title: z.string(), severity: z.enum(INCIDENT_SEVERITIES), state: z.enum(INCIDENT_STATES), reportout: z.enum(['not_open', 'owed', 'sent', 'not_required']) }),
  ),
});
export type MyWork = z.infer<typeof myWorkOutput>;

/** Everything waiting on the caller. Any reader of incidents has some (possibly none). */
export async function myWork(ctx: AppContext, caller: Caller): Promise<MyWork> {
  await authorize(ctx, caller, 'incident.read');
  const db = ctx.store.db;
  const roles = [...(await rolesOf(ctx, caller.actor))];
  const now = ctx.now();
  const day = today(ctx);
  const recipients = ctx.config.control_card.recipient_roles;
  const thirdPartyRoles = ctx.config.workflow.third_party_roles;
  const approving = ctx.config.control_card.exception_rules.approver_roles;

  const acks: MyWork['acks'] = [];
  const mineToAck = roles.filter((r) => recipients.includes(r) || thirdPartyRoles.includes(r));
  if (mineToAck.length > 0) {
    for (const { incident, acked, thirdParty } of await openSentIncidents(db)) {
      const sentAt = incident.reportout_sent_at ?? '';
      for (const role of mineToAck) {
        const required = recipients.includes(role) || thirdParty;
        if (!required || acked.includes(role)) continue;
        const due = ackDueAt(ctx, role, sentAt);
        acks.push({ incident: incident.id, title: incident.title, severity: incident.severity, role, sent_at: sentAt, due_at: due, overdue: Date.parse(due) <= now.getTime() });
      }
    }
  }

  const items = await itemsOwnedBy(db, caller.actor, roles);
  const remediation: MyWork['remediation'] = items.map((r) => ({
    id: r.id,
    incident: r.incident_id,
    weakness: r.weakness_id,
    owner_role: r.owner_role,
    assignee: r.assignee,
    criteria: r.criteria,
    status: r.status,
    due: r.due,
    overdue: isItemOverdue(r, day),
    ticket: r.ticket,
    mine_as: r.assignee === caller.actor ? 'assignee' : 'owner_role',
  }));

  const risk_decisions = roles.some((r) => approving.includes(r))
    ? (await requestedRisksNotBy(db, caller.actor)).map((r) => riskView(ctx, caller, roles, r, day)).filter((r) => r.can_decide)
    : [];

  const vendor_chases = roles.some((r) => thirdPartyRoles.includes(r))
    ? (await noticesToChase(db, new Date(now.getTime() - VENDOR_CHASE_DAYS * 86_400_000).toISOString())).map((n) => noticeView(n, now))
    : [];

  const leading = (await openIncidentsLedBy(db, caller.actor)).map((i) => ({ id: i.id, title: i.title, severity: i.severity, state: i.state, reportout: reportOutStatus(i) }));

  return { actor: caller.actor, roles, acks, remediation, risk_decisions, vendor_chases, leading };
}

