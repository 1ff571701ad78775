import { sendAckReminders } from '../../app/reminders.js';
import { runDelivery } from '../../app/run-delivery.js';
import { channelsWithTickets } from '../../app/tickets.js';
import type { Program } from '../program.js';
import { acts, type CliRun } from '../session.js';

/** `closeloop deliver` and `closeloop remind`: one pass of what the server does continuously. */
export function registerDelivery(program: Program, run: CliRun): void {
  const deliver = program.command('deliver').description('deliver queued notifications once (the server does this continuously)');
  acts(run, deliver, async ({ s, ctx, caller }) => {
    const r = await runDelivery(ctx, caller, { channels: channelsWithTickets(ctx, s.io.env) });
    s.print(r, () => `delivered ${r.delivered}, retrying ${r.retrying}, failed ${r.failed}, waiting for a channel ${r.no_channel}`);
  });

  const remind = program.command('remind').description('queue reminders to roles past the acknowledgment SLA, and tell the IR lead (the server does this continuously)');
  acts(run, remind, async ({ s, ctx, caller }) => {
    const r = await sendAckReminders(ctx, caller);
    s.print(r, () => `${r.reminders} reminder(s) and ${r.lead_notices} IR lead notice(s) queued for ${r.incidents} incident(s); run \`closeloop deliver\` to send them`);
  });
}
