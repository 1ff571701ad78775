import { Option } from '@commander-js/extra-typings';
import { acknowledge, addWeakness, markNoneIdentified, sendReportOut } from '../../app/reportout.js';
import { WEAKNESS_RELATIONS, WEAKNESS_TYPES } from '../../domain/incident.js';
import { repeatable } from '../options.js';
import type { Program } from '../program.js';
import { acts, type CliRun } from '../session.js';

/** `closeloop reportout` (the IR-6(2) report-out of an incident) and `closeloop ack`. */
export function registerReportout(program: Program, run: CliRun): void {
  const reportout = program.command('reportout').description('the IR-6(2) vulnerability report-out of an incident');

  const add = reportout
    .command('add <incident>')
    .description('add a weakness that enabled, worsened or delayed detection of the incident')
    .addOption(new Option('--type <type>', 'weakness type').choices(WEAKNESS_TYPES).makeOptionMandatory())
    .addOption(new Option('--relation <relation>', 'how it relates to the incident').choices(WEAKNESS_RELATIONS).makeOptionMandatory())
    .requiredOption('--asset <id>', 'affected asset (repeatable)', repeatable, [])
    .requiredOption('--notes <text>', 'exploitability / exposure notes')
    .requiredOption('--action <text>', 'recommended corrective action')
    .option('--vuln <id>', 'related vulnerability id, e.g. a CVE (repeatable)', repeatable, [])
    .option('--vendor <id>', 'the vendor (required for third_party)');
  acts(run, add, async ({ s, ctx, caller }, opts, incident) => {
    const w = await addWeakness(ctx, caller, { incident, type: opts.type, relation: opts.relation, assets: opts.asset, notes: opts.notes, action: opts.action, vulnerabilities: opts.vuln, vendor: opts.vendor });
    s.print(w, () => `added ${w.id} (${w.type}, ${w.relation}) to ${w.incident_id}`);
  });

  const none = reportout.command('none <incident>').description('record that no associated vulnerability was identified').requiredOption('--rationale <text>', 'why none was identified');
  acts(run, none, async ({ s, ctx, caller }, opts, incident) => {
    const inc = await markNoneIdentified(ctx, caller, { incident, rationale: opts.rationale });
    s.print(inc, () => `${inc.id}: report-out recorded as none identified`);
  });

  const send = reportout.command('send <incident>').description('send the report-out: one notification per recipient role (queued in the outbox)');
  acts(run, send, async ({ s, ctx, caller }, _opts, incident) => {
    const r = await sendReportOut(ctx, caller, { incident });
    s.print(r, () =>
      [
        `${r.incident.id}: report-out revision ${r.revision} queued to ${new Set(r.notifications.map((n) => n.role)).size} role(s):`,
        ...r.notifications.map((n) => `  ${n.id} ${n.role} via ${n.channel} ${n.address}`),
        ...(r.notices_opened.length > 0 ? [`third-party notices opened: ${r.notices_opened.join(', ')}`] : []),
        ...(r.acks_kept.length > 0 ? [`not asked again (their part is unchanged, their acknowledgment stands): ${r.acks_kept.join(', ')}`] : []),
        ...(r.acks_superseded.length > 0 ? [`asked again (their part changed): ${r.acks_superseded.join(', ')}`] : []),
        'run `closeloop deliver` (or the server) to deliver them',
      ].join('\n'),
    );
  });

  const ack = program.command('ack <incident>').description('acknowledge the report-out for a role you hold').requiredOption('--role <role>', 'the recipient role').option('--comment <text>', 'comment');
  acts(run, ack, async ({ s, ctx, caller }, opts, incident) => {
    const a = await acknowledge(ctx, caller, { incident, role: opts.role, comment: opts.comment });
    s.print(a, () => `${a.incident_id}: ${a.role} acknowledged by ${a.actor}`);
  });
}
