import { runDelivery } from '../../app/run-delivery.js';
import { runTimers } from '../../app/timers.js';
import type { Program } from '../program.js';
import { acts, type CliRun } from '../session.js';

/** `closeloop deliver` and `closeloop remind`: one pass of what the server does continuously. */
export function registerDelivery(program: Program, run: CliRun): void {
  const deliver = program.command('deliver').description('deliver queued notifications once (the server does this continuously)');
  acts(run, deliver, async ({ s, ctx, caller }) => {
    const r = await runDelivery(ctx, caller);
    s.print(r, () => `delivered ${r.delivered}, retrying ${r.retrying}, failed ${r.failed}, waiting for a channel ${r.no_channel}`);
  });

  const remind = program
    .command('remind')
    .description('fire the timers that are due, once each: acknowledgment reminders and escalations, overdue remediation items, risk acceptances near or at their review date (the server does this continuously)');
  acts(run, remind, async ({ s, ctx, caller }) => {
    const r = await runTimers(ctx, caller);
    s.print(r, () =>
      [
        `${r.reminders} reminder(s) and ${r.escalations} escalation notice(s) queued for ${r.incidents} incident(s)`,
        `${r.items_overdue} remediation item(s) newly overdue`,
        `${r.risk_warnings} risk acceptance(s) near their review date, ${r.risks_expired} expired`,
        'run `closeloop deliver` to send what was queued',
      ].join('\n'),
    );
  });
}
