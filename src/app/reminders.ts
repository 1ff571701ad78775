import { isClosed } from '../domain/incident.js';
import { idempotencyKeys } from '../delivery/outbox.js';
import { counterValue } from '../store/counters.js';
import { acknowledgedRoles } from '../store/repositories/acknowledgments.js';
import { incidentsWithReportOutSentBy } from '../store/repositories/incidents.js';
import { weaknessesForGate } from '../store/repositories/weaknesses.js';
import { inTransaction, type AppContext, type Caller } from './context.js';
import { requiredRoles } from './incidents.js';
import { enqueue, eventIncident, incidentLink } from './outbox.js';
import { routesFor } from './reportout.js';
import { authorizeCaller } from './system-caller.js';

export interface ReminderSummary {
  incidents: number;
  reminders: number;
  lead_notices: number;
}

/**
 * SPEC §3: a recipient role that has not acknowledged the report-out within the ack SLA
 * (`workflow.ack_sla_hours`) gets a reminder, and the IR lead is told which roles are overdue.
 * Idempotent per report-out revision: running it again sends nothing new until the report-out is
 * re-sent. Reminders go through the outbox like every other message. The caller needs the
 * permission to run delivery: a person (`closeloop remind`) or the server's loop (REMINDERS).
 */
export async function sendAckReminders(ctx: AppContext, caller: Caller): Promise<ReminderSummary> {
  authorizeCaller(ctx, caller, 'delivery.run');
  const summary: ReminderSummary = { incidents: 0, reminders: 0, lead_notices: 0 };
  const cutoff = new Date(ctx.now().getTime() - ctx.config.workflow.ack_sla_hours * 3_600_000).toISOString();
  const due = await incidentsWithReportOutSentBy(ctx.store.db, cutoff);
  for (const inc of due) {
    if (isClosed(inc.state)) continue;
    await inTransaction(ctx, async (trx) => {
      const [weaknesses, acks, sentRevision] = await Promise.all([
        weaknessesForGate(trx, inc.id),
        acknowledgedRoles(trx, inc.id),
        counterValue(trx, `reportout:${inc.id}`),
      ]);
      const revision = sentRevision === 0 ? 1 : sentRevision;
      const acked = new Set(acks);
      const overdue = requiredRoles(ctx, weaknesses).filter((r) => !acked.has(r));
      if (overdue.length === 0) return;
      const keys = await idempotencyKeys(trx, inc.id, 'reminder');
      const link = incidentLink(ctx, inc.id);
      const linked = link === undefined ? {} : { incident: link };
      let sent = 0;
      for (const role of overdue) {
        for (const route of routesFor(ctx, role, inc.service)) {
          const key = `reminder:${inc.id}:r${revision}:${role}:${route.channel}:${route.address}`;
          if (keys.has(key)) continue;
          await enqueue(trx, ctx, caller, {
            incident: inc.id,
            purpose: 'reminder',
            role,
            route,
            subject: `[closeloop] reminder: ${inc.id} report-out awaits acknowledgment by ${role}`,
            body: `The IR-6(2) report-out of ${inc.id} (${inc.title}) was sent ${inc.reportout_sent_at ?? ''} and role ${role} has not acknowledged it within ${ctx.config.workflow.ack_sla_hours} h.\nAcknowledge: closeloop ack ${inc.id} --role ${role}`,
            event: { type: 'ack.reminder', incident: eventIncident(inc), revision, links: linked, data: { role, sla_hours: ctx.config.workflow.ack_sla_hours } },
            idempotencyKey: key,
          });
          summary.reminders += 1;
          sent += 1;
        }
      }
      for (const route of routesFor(ctx, 'ir_lead', inc.service)) {
        const key = `reminder-lead:${inc.id}:r${revision}:${overdue.join(',')}:${route.channel}:${route.address}`;
        if (keys.has(key)) continue;
        await enqueue(trx, ctx, caller, {
          incident: inc.id,
          purpose: 'reminder',
          role: 'ir_lead',
          route,
          subject: `[closeloop] ${inc.id}: ${overdue.length} role(s) past the acknowledgment SLA`,
          body: `Roles that have not acknowledged the report-out of ${inc.id} within ${ctx.config.workflow.ack_sla_hours} h: ${overdue.join(', ')}.`,
          event: { type: 'ack.overdue', incident: eventIncident(inc), revision, links: linked, data: { roles: overdue, sla_hours: ctx.config.workflow.ack_sla_hours } },
          idempotencyKey: key,
        });
        summary.lead_notices += 1;
        sent += 1;
      }
      if (sent > 0) summary.incidents += 1;
    });
  }
  return summary;
}
