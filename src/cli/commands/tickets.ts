import { syncConfiguredTickets } from '../../app/tickets.js';
import type { Program } from '../program.js';
import { acts, type CliRun } from '../session.js';

/** `closeloop tickets`: the Jira and ServiceNow tickets of remediation items. */
export function registerTickets(program: Program, run: CliRun): void {
  const tickets = program.command('tickets').description('Jira and ServiceNow tickets of remediation items');

  const sync = tickets
    .command('sync')
    .description("read each open ticket's status from Jira or ServiceNow and move its remediation item by tickets.status_map (a webhook does this as it happens)");
  acts(run, sync, async ({ s, ctx, caller }) => {
    const r = await syncConfiguredTickets(ctx, caller, { ...s.io.env });
    s.print(r, () => {
      if (r.results.length === 0) return 'no open tickets';
      return r.results
        .map((t) => {
          const head = `${t.system} ${t.ticket}${t.item === null ? '' : ` (${t.item})`}`;
          if ('error' in t) return `${head}: error: ${t.error}`;
          const moved = t.applied ? `item ${t.from ?? '?'} → ${t.to ?? '?'}` : `item stays ${t.to ?? '-'}`;
          return `${head}: ${t.status}; ${moved}${t.note === undefined ? '' : ` (${t.note})`}`;
        })
        .join('\n');
    });
  });
}
