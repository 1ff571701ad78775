/**
 * When a recipient role's acknowledgment of a report-out is due: the first level of its escalation
 * ladder (the timers' `ackLadder`), counted from the report-out's sending. The views (the incident
 * list, "my work", the metrics) read lateness from here, as the timers act on it.
 */
import type { AckRule } from '../../store/repositories/incidents.js';
import type { AppContext } from '../context.js';
import { ackLadder } from '../timers.js';

/** Hours a role has to acknowledge a report-out before it is late. */
export function ackSlaHours(ctx: AppContext, role: string): number {
  return Math.min(...ackLadder(ctx, role).map((l) => l.after_hours));
}

/** When the acknowledgment of a report-out sent at `sentAt` (ISO time) is due from `role`. */
export function ackDueAt(ctx: AppContext, role: string, sentAt: string): string {
  return new Date(Date.parse(sentAt) + ackSlaHours(ctx, role) * 3_600_000).toISOString();
}

/** Every role a report-out may be owed to, with the sending time from which its acknowledgment is late now. */
export function ackRules(ctx: AppContext): AckRule[] {
  const now = ctx.now().getTime();
  const recipients = ctx.config.control_card.recipient_roles;
  const extra = ctx.config.workflow.third_party_roles.filter((r) => !recipients.includes(r));
  const rule = (role: string, thirdPartyOnly: boolean): AckRule => ({ role, thirdPartyOnly, lateIfSentBy: new Date(now - ackSlaHours(ctx, role) * 3_600_000).toISOString() });
  return [...recipients.map((r) => rule(r, false)), ...extra.map((r) => rule(r, true))];
}
