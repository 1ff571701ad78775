import { Option } from '@commander-js/extra-typings';
import { DELIVERY_PAGE, DELIVERY_STATES, listDeliveries, retryDelivery, showDelivery, type DeliveryDetail, type DeliveryView } from '../../app/deliveries.js';
import { runDelivery } from '../../app/run-delivery.js';
import { runTimers } from '../../app/timers.js';
import { table } from '../output.js';
import type { Program } from '../program.js';
import { acts, type CliRun } from '../session.js';

/** What a message is about: its incident, or what a message without one names. */
const about = (d: Pick<DeliveryView, 'incident_id' | 'subject_ref'>): string => d.incident_id ?? d.subject_ref ?? '-';

/** `deliveries show` in words: the message, its proof, and every attempt. */
function deliverySummary(v: DeliveryDetail): string {
  const d = v.delivery;
  const lines = [
    `${d.id}  ${d.purpose} to ${d.role} via ${d.channel} ${d.address} (${about(d)})`,
    `  subject: ${d.subject}`,
    `  state ${d.status}, ${d.attempts} attempt(s)${d.next_attempt_at && d.status === 'queued' ? `, next at ${d.next_attempt_at}` : ''}${d.delivered_at ? `, delivered ${d.delivered_at}` : ''}`,
    `  idempotency key: ${d.idempotency_key}`,
  ];
  if (d.message_id) lines.push(`  message id: ${d.message_id}`);
  if (d.proof) lines.push(`  proof: ${[d.proof.status === undefined ? null : `status ${d.proof.status}`, d.proof.response ?? null, d.proof.ticket ? `ticket ${d.proof.ticket.key}` : null].filter((x) => x !== null).join(', ') || '-'}`);
  if (d.last_error && d.status !== 'delivered') lines.push(`  last error: ${d.last_error}`);
  for (const a of v.attempts) lines.push(`  attempt ${a.attempt} at ${a.at} via ${a.channel ?? d.channel}: ${a.outcome}${a.status === null ? '' : ` (${a.status})`}${a.detail ? ` ${a.detail}` : ''}`);
  return lines.join('\n');
}

/** `closeloop deliver`, `closeloop remind` and `closeloop deliveries`: the outbox, once or as records. */
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

  const deliveries = program.command('deliveries').description('the outbox: every message, its attempts, and the dead letter');

  const ls = deliveries
    .command('list')
    .description('list outbox messages in the order they were queued')
    .addOption(new Option('--state <state>', 'only messages in this state').choices(DELIVERY_STATES))
    .option('--incident <id>', "only this incident's messages")
    .option('--limit <n>', `messages per page (default ${DELIVERY_PAGE.default}, at most ${DELIVERY_PAGE.max})`)
    .option('--after <cursor>', 'the page after this one (the cursor printed at the end of the previous page)')
    .addHelpText('after', '\nExamples:\n  closeloop deliveries list --state failed\n  closeloop deliveries list --incident INC-2026-0001 --json');
  acts(run, ls, async ({ s, ctx, caller }, opts) => {
    const page = await listDeliveries(ctx, caller, { state: opts.state, incident: opts.incident, limit: opts.limit, after: opts.after });
    s.print(page, () => {
      const body =
        page.deliveries.length === 0
          ? 'no deliveries'
          : table(
              ['ID', 'STATE', 'ATTEMPTS', 'PURPOSE', 'ABOUT', 'ROLE', 'CHANNEL', 'ADDRESS', 'LAST ERROR'],
              page.deliveries.map((d) => [d.id, d.status, String(d.attempts), d.purpose, about(d), d.role, d.channel, d.address, d.status === 'delivered' ? '' : (d.last_error ?? '')]),
            );
      return page.next === null ? body : `${body}\n\nmore deliveries: add --after ${page.next}`;
    });
  });

  const show = deliveries.command('show <id>').description('one message with every attempt (time, channel, outcome, response code, answer or error)');
  acts(run, show, async ({ s, ctx, caller }, _opts, id) => {
    const v = await showDelivery(ctx, caller, { id });
    s.print(v, () => deliverySummary(v));
  });

  const retry = deliveries.command('retry <id>').description('put a failed message (the dead letter) back in the queue with a new round of attempts; its attempts stay on record (audited)');
  acts(run, retry, async ({ s, ctx, caller }, _opts, id) => {
    const d = await retryDelivery(ctx, caller, { id });
    s.print(d, () => `${d.id} queued again; run \`closeloop deliver\` (or the server) to deliver it`);
  });
}
