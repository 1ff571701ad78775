import { Option } from '@commander-js/extra-typings';
import { INCIDENT_PAGE, closeIncident, listIncidents, moveIncident, openIncident, reopenIncident, showIncident, type IncidentView } from '../../app/incidents.js';
import { INCIDENT_SEVERITIES, type IncidentState } from '../../domain/incident.js';
import { checkedByUseCase, repeatable } from '../options.js';
import { table } from '../output.js';
import type { Program } from '../program.js';
import { acts, type CliRun } from '../session.js';

/** `incident show` in words: the incident, its report-out and follow-through, and the closure gate. */
function incidentSummary(v: IncidentView): string {
  const i = v.incident;
  const lines = [
    `${i.id}  ${i.title}`,
    `  severity ${i.severity}, state ${i.state}${i.service ? `, service ${i.service}` : ''}${i.determination ? `, determination ${i.determination}` : ''}`,
    `  assets: ${v.assets.join(', ') || '-'}`,
    `  control card: ${i.control_card_version === null ? 'before versioning' : `version ${i.control_card_version} (\`closeloop control-card --version ${i.control_card_version}\`)`}`,
    ...(v.grouping.keys.length > 0 ? [`  grouped by: ${v.grouping.keys.join(', ')}`] : []),
    ...(v.grouping.follows !== null ? [`  follows closed incident ${v.grouping.follows}`] : []),
    ...(v.grouping.followed_by.length > 0 ? [`  followed by: ${v.grouping.followed_by.join(', ')}`] : []),
    `  report-out: ${i.reportout_opened_at ? `task opened ${i.reportout_opened_at}` : 'task not opened yet'}${i.reportout_sent_at ? `, sent ${i.reportout_sent_at}` : ''}${i.none_identified_rationale ? `, none identified (${i.none_identified_rationale})` : ''}`,
  ];
  if (v.weaknesses.length > 0) {
    lines.push('  weaknesses:');
    for (const w of v.weaknesses) lines.push(`    ${w.id} ${w.type}/${w.relation} assets ${w.assets.join(', ')}${w.vendor ? ` vendor ${w.vendor}` : ''}: ${w.notes}`);
  }
  if (v.notifications.length > 0) {
    lines.push('  notifications:');
    for (const n of v.notifications) lines.push(`    ${n.id} ${n.role} via ${n.channel} ${n.address}: ${n.status}${n.last_error ? ` (${n.last_error})` : ''}`);
  }
  if (v.acknowledgments.length > 0) lines.push(`  acknowledged by roles: ${v.acknowledgments.map((a) => `${a.role} (${a.actor})`).join(', ')}`);
  if (v.evidence.some((e) => e.messages.length > 0)) {
    lines.push('  delivery evidence by role:');
    for (const e of v.evidence) {
      const a = e.acknowledgment;
      lines.push(`    ${e.role}: ${a ? `acknowledged by ${a.actor} at ${a.at}${a.via ? ` via ${a.via}` : ''} (revision ${a.revision})` : 'not acknowledged'}`);
      for (const m of e.messages) {
        const proof = m.proof ? [m.proof.status === undefined ? null : `status ${m.proof.status}`, m.proof.response ?? null, m.proof.ticket ? `ticket ${m.proof.ticket.key}` : null].filter((x) => x !== null).join(', ') : '';
        lines.push(`      ${m.id} ${m.purpose}${m.revision === null ? '' : ` r${m.revision}`} via ${m.channel} ${m.address}: ${m.status}, ${m.attempts} attempt(s)${m.message_id ? `, message id ${m.message_id}` : ''}${proof ? `, ${proof}` : ''}${m.last_error ? ` (${m.last_error})` : ''}`);
      }
      for (const x of e.superseded) lines.push(`      earlier acknowledgment by ${x.actor} at ${x.at} (revision ${x.revision}) superseded by revision ${x.superseded_by}`);
    }
  }
  for (const r of v.remediation) lines.push(`  remediation ${r.id} for ${r.weakness_id}: ${r.status}, owner ${r.owner_role}/${r.assignee}, due ${r.due ?? '-'}`);
  for (const r of v.risk_acceptances) lines.push(`  risk acceptance ${r.id} for ${r.weakness_id}: ${r.effective_state}, review by ${r.review_by}${r.approver ? `, approver ${r.approver}` : ''}`);
  for (const t of v.third_party_notices) lines.push(`  vendor notice ${t.id} to ${t.vendor}: ${t.status}${t.response ? `, response recorded` : ''}`);
  if (v.gate_flags.length > 0) lines.push(`  closed with ${v.gate_flags.length} gap(s) (soft gate): ${v.gate_flags.map((g) => g.message).join('; ')}`);
  if (!['closed', 'closed_non_incident'].includes(i.state)) {
    lines.push(v.gate.ready ? '  closure gate: ready' : `  closure gate: ${v.gate.missing.length} item(s) missing`);
    for (const m of v.gate.missing) lines.push(`    - ${m.message}`);
  }
  return lines.join('\n');
}

/** `closeloop incident`: incidents and their workflow. */
export function registerIncident(program: Program, run: CliRun): void {
  const incident = program.command('incident').description('incidents and their workflow');

  const open = incident
    .command('open')
    .description('open an incident in state reported (it now owes an IR-6(2) report-out)')
    .requiredOption('--title <title>', 'short title')
    .addOption(new Option('--severity <severity>', 'severity').choices(INCIDENT_SEVERITIES).makeOptionMandatory())
    .option('--asset <id>', 'affected asset (repeatable)', repeatable, [])
    .option('--service <id>', 'business service (selects per-service routing)')
    .option('--ir-lead <name>', 'the IR lead');
  acts(run, open, async ({ s, ctx, caller }, opts) => {
    const inc = await openIncident(ctx, caller, { title: opts.title, severity: opts.severity, assets: opts.asset, service: opts.service, ir_lead: opts.irLead });
    s.print(inc, () => `opened ${inc.id} (${inc.severity}) in state ${inc.state}`);
  });

  const show = incident.command('show <id>').description('everything about one incident, with the closure gate status');
  acts(run, show, async ({ s, ctx, caller }, _opts, id) => {
    const v = await showIncident(ctx, caller, id);
    s.print(v, () => incidentSummary(v));
  });

  const ls = incident
    .command('list')
    .description('list incidents in creation order, a page at a time')
    .option('--state <state>', 'only incidents in this state')
    .option('--limit <n>', `incidents per page (default ${INCIDENT_PAGE.default}, at most ${INCIDENT_PAGE.max})`)
    .option('--after <cursor>', 'the page after this one: the cursor printed at the end of the previous page (`next` with --json)')
    .option('--all', 'every page from here on, in one list')
    .addHelpText('after', '\nExamples:\n  closeloop incident list --state reported\n  closeloop incident list --all --json > incidents.json');
  acts(run, ls, async ({ s, ctx, caller }, opts) => {
    const ask = { state: opts.state === undefined ? undefined : checkedByUseCase<IncidentState>(opts.state), limit: opts.limit };
    let page = await listIncidents(ctx, caller, { ...ask, after: opts.after });
    if (opts.all === true) {
      const incidents = [...page.incidents];
      while (page.next !== null) {
        page = await listIncidents(ctx, caller, { ...ask, after: page.next });
        incidents.push(...page.incidents);
      }
      page = { incidents, next: null };
    }
    const { incidents, next } = page;
    s.print({ incidents, next }, () => {
      const body = incidents.length === 0 ? 'no incidents' : table(['ID', 'SEVERITY', 'STATE', 'TITLE'], incidents.map((r) => [r.id, r.severity, r.state, r.title]));
      if (next === null) return body;
      const again = ['closeloop incident list', ...(ask.state ? [`--state ${ask.state}`] : []), ...(ask.limit ? [`--limit ${ask.limit}`] : []), `--after ${next}`].join(' ');
      return `${body}\n\nmore incidents: ${again} (or --all)`;
    });
  });

  const move = incident
    .command('move <id> <state>')
    .description('move along the workflow: reported → triage → containment → eradication → recovery → post_incident');
  acts(run, move, async ({ s, ctx, caller }, _opts, id, state) => {
    const inc = await moveIncident(ctx, caller, { id, state: checkedByUseCase<IncidentState>(state) });
    s.print(inc, () => `${inc.id} is now ${inc.state}${inc.reportout_opened_at && inc.updated_at === inc.reportout_opened_at ? ' (report-out task opened)' : ''}`);
  });

  const close = incident
    .command('close <id>')
    .description('close through the IR-6(2) closure gate (exit 3 lists every missing item), or as a non-incident')
    .option('--non-incident', 'close as a non-incident (determination), with --rationale')
    .option('--rationale <text>', 'why this is not an incident');
  acts(run, close, async ({ s, ctx, caller }, opts, id) => {
    const r = await closeIncident(ctx, caller, { id, non_incident: opts.nonIncident === true, rationale: opts.rationale });
    s.print(r, () =>
      r.flagged.length > 0
        ? `${r.incident.id} closed with ${r.flagged.length} gap(s) flagged for post-closure review (soft gate):\n${r.flagged.map((m) => `  - ${m.message}`).join('\n')}`
        : `${r.incident.id} is ${r.incident.state}`,
    );
  });

  const reopen = incident.command('reopen <id>').description('reopen a closed incident (audited)').requiredOption('--reason <text>', 'why it is reopened');
  acts(run, reopen, async ({ s, ctx, caller }, opts, id) => {
    const inc = await reopenIncident(ctx, caller, { id, reason: opts.reason });
    s.print(inc, () => `${inc.id} reopened, now ${inc.state}`);
  });
}
