import path from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { acknowledge, addWeakness, markNoneIdentified, sendReportOut } from '../app/reportout.js';
import { addPerson, createToken, verifyAudit } from '../app/admin.js';
import { authorize, type AppContext, type Caller } from '../app/context.js';
import { sendAckReminders } from '../app/reminders.js';
import { INCIDENT_PAGE, closeIncident, listIncidents, moveIncident, openIncident, reopenIncident, showIncident, type IncidentView } from '../app/incidents.js';
import {
  addRemediation,
  chaseVendor,
  decideRisk,
  moveRemediation,
  notifyVendor,
  recordVendorResponse,
  requestRisk,
} from '../app/followthrough.js';
import { configPathFromEnv, loadConfig } from '../config/load.js';
import { bootstrapIfMissing, initialize } from '../app/setup.js';
import { runDelivery } from '../delivery/dispatcher.js';
import { ClError } from '../errors.js';
import { openStore, storeUrlFromEnv } from '../store/db.js';
import { EXIT, print, reportError, table } from './output.js';
import { tuneFor } from '../runtime.js';
import type { TriageSummary } from '../app/triage.js';
import type { PresentedDecision } from '../app/knowledge.js';
import type { Progress } from '../app/progress.js';
import type { Decision } from '../domain/escalation/index.js';
import { readFile } from 'node:fs/promises';

interface GlobalOpts {
  json?: boolean;
  by?: string;
}

function actorOf(opts: GlobalOpts): string {
  const actor = opts.by ?? process.env.CLOSELOOP_ACTOR;
  if (!actor || actor.trim() === '') {
    throw new ClError('CL_BAD_INPUT', 'who is acting? pass --by NAME or set CLOSELOOP_ACTOR (every change is recorded in the audit log with its actor)');
  }
  return actor.trim();
}

async function openContext(): Promise<AppContext> {
  const configPath = configPathFromEnv();
  const config = loadConfig(configPath);
  const store = await openStore({ url: storeUrlFromEnv() });
  return { store, config, configPath, now: () => new Date() };
}

/**
 * Wraps a command: opens the context, runs it, prints the result, closes the store, and turns
 * errors into messages and exit codes. No stack traces for user errors.
 */
function action<A extends unknown[]>(
  cmd: Command,
  fn: (ctx: AppContext, caller: Caller, opts: GlobalOpts & Record<string, unknown>, ...args: A) => Promise<void>,
  needsActor = true,
) {
  return async (...args: unknown[]) => {
    const opts = cmd.optsWithGlobals<GlobalOpts & Record<string, unknown>>();
    let ctx: AppContext | null = null;
    try {
      const caller = { actor: needsActor ? actorOf(opts) : (opts.by ?? process.env.CLOSELOOP_ACTOR ?? 'anonymous') };
      ctx = await openContext();
      await fn(ctx, caller, opts, ...(args.slice(0, -2) as A));
    } catch (err) {
      process.exitCode = reportError(opts, err);
    } finally {
      if (ctx) await ctx.store.close();
    }
  };
}

/**
 * A progress reporter for long work: lines on stderr when stderr is a terminal or `--progress` is
 * given (stdout, `--json` included, is untouched). `CLOSELOOP_PROGRESS_MS` sets the interval.
 */
function progressTo(opts: Record<string, unknown>, what: string, noun: string) {
  if (opts.progress !== true && process.stderr.isTTY !== true) return {};
  const ms = Number(process.env.CLOSELOOP_PROGRESS_MS ?? 1000);
  return {
    onProgress: (p: Progress) => process.stderr.write(`closeloop: ${what}: ${p.done.toLocaleString('en')} ${p.counting ?? noun} (${p.seconds.toFixed(1)} s)\n`),
    progressIntervalMs: Number.isFinite(ms) && ms >= 0 ? ms : 1000,
  };
}

function list(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(',').map((s) => s.trim()).filter((s) => s !== '')];
}

function repeatable(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function incidentSummary(v: IncidentView): string {
  const i = v.incident;
  const lines = [
    `${i.id}  ${i.title}`,
    `  severity ${i.severity}, state ${i.state}${i.service ? `, service ${i.service}` : ''}${i.determination ? `, determination ${i.determination}` : ''}`,
    `  assets: ${v.assets.join(', ') || '-'}`,
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

/** Vulnerability-response modules load only for the commands that use them: faster CLI start. */
const vr = async () => {
  const [importer, triage, knowledge, escalation] = await Promise.all([
    import('../app/importer.js'),
    import('../app/triage.js'),
    import('../app/knowledge.js'),
    import('../domain/escalation/index.js'),
  ]);
  return { ...importer, ...triage, ...knowledge, runRuleCases: escalation.runRuleCases };
};

function countBy(items: readonly string[]): string {
  const m = new Map<string, number>();
  for (const i of items) m.set(i, (m.get(i) ?? 0) + 1);
  return [...m.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ') || '-';
}

function decisionRows(ds: readonly PresentedDecision[]): string {
  return table(
    ['FINDING', 'ASSET', 'VULNERABILITY', 'OUTCOME', 'SSVC', 'WHY'],
    ds.map((d) => [d.finding.length > 16 ? `${d.finding.slice(0, 15)}…` : d.finding, d.asset, d.vulnerability, d.outcome, d.ssvc, d.outcome === 'escalate' ? d.triggers.join(', ') : [...d.stay_reasons, ...d.flags].join(', ') || `next: ${d.next_actions.join(', ')}`]),
  );
}

function decisionTable(ds: readonly PresentedDecision[], all: boolean, ruleset: string): string {
  const esc = ds.filter((d) => d.outcome === 'escalate');
  const lines = [
    `${ds.length} finding(s) evaluated with ruleset ${ruleset}: ${esc.length} escalate, ${ds.length - esc.length} stay`,
    `triggers: ${countBy(esc.flatMap((d) => d.triggers))}`,
    `stay reasons: ${countBy(ds.flatMap((d) => d.stay_reasons))}`,
  ];
  const shown = all ? ds : esc;
  if (shown.length > 0) lines.push('', all ? 'decisions:' : 'escalations:', decisionRows(shown));
  if (!all && ds.length > esc.length) lines.push('', '(--all lists every decision)');
  return lines.join('\n');
}

function triageSummaryText(r: TriageSummary): string {
  const lines = [
    `triage ${r.run}: ${r.evaluated} open finding(s) evaluated with ruleset ${r.ruleset}`,
    `outcomes: escalate ${r.by_outcome.escalate ?? 0}, stay ${r.by_outcome.stay ?? 0}`,
    `triggers: ${Object.entries(r.by_trigger).map(([k, v]) => `${k} ${v}`).join(', ') || '-'}`,
  ];
  const shown = r.decisions ?? r.escalations;
  if (shown.length > 0) lines.push('', r.decisions ? 'decisions:' : 'escalations:', decisionRows(shown));
  if (r.incidents.length > 0) {
    lines.push('', 'handed to incident response:');
    for (const i of r.incidents) lines.push(`  ${i.incident} ${i.created ? 'opened' : 'linked'} for finding ${i.finding} (decision ${i.decision}); handoff note: closeloop handoff show ${i.incident}`);
  } else if (r.escalations.length > 0) {
    lines.push('', 'run `closeloop triage --escalate` to hand these to incident response; `closeloop why FINDING` explains one');
  }
  return lines.join('\n');
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('closeloop')
    .description(
      'System of record that closes the loop between incident response and vulnerability management (NIST SP 800-53 IR-6(2)).\n\n' +
        'Storage: CLOSELOOP_DB (a SQLite file, default ./closeloop.db, or a postgres:// URL).\n' +
        'Configuration: CLOSELOOP_CONFIG (default ./closeloop.yaml, written by `closeloop init`).\n' +
        'Actor: --by NAME or CLOSELOOP_ACTOR; every change is recorded in the audit chain with it.\n\n' +
        'Exit codes: 0 ok, 1 failure, 2 usage or bad input, 3 refused by a gate or rule.',
    )
    .option('--json', 'machine-readable output')
    .option('--by <name>', 'who is acting (default: CLOSELOOP_ACTOR)')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      `
A first incident, end to end:
  closeloop init --by alice
  closeloop people add bob --roles ir_lead --by alice
  closeloop incident open --title "Webshell on web-01" --severity high --asset web-01 --by bob
  closeloop incident move INC-2026-0001 triage --by bob
  closeloop incident move INC-2026-0001 eradication --by bob
  closeloop reportout add INC-2026-0001 --type technical --relation enabled --asset web-01 \\
      --notes "unpatched CMS plugin" --action "patch plugin; add WAF rule" --by bob
  closeloop reportout send INC-2026-0001 --by bob
  closeloop deliver --by bob
  closeloop incident close INC-2026-0001 --by bob     # exit 3 lists what is still missing`,
    );

  const init = program
    .command('init')
    .description('write closeloop.yaml (control card, routing, people, gate mode) and create the database; --by NAME becomes the first admin')
    .option('--db-only', 'keep the existing closeloop.yaml: only create or migrate the database');
  init.action(async () => {
    const opts = init.optsWithGlobals<GlobalOpts & { dbOnly?: boolean }>();
    let ctx: AppContext | null = null;
    try {
      const by = actorOf(opts);
      const configPath = configPathFromEnv();
      const r = await initialize({ configPath, dbUrl: storeUrlFromEnv(), admin: by, reuseConfig: opts.dbOnly === true });
      ctx = r.ctx;
      const { config, store } = r.ctx;
      print(opts, { config: path.resolve(configPath), database: store.location, admin: by, wrote_config: r.wroteConfig }, () =>
        [
          r.wroteConfig ? `wrote ${configPath} (control card ${config.control_card.id} v${config.control_card.version}, gate ${config.gate.mode})` : `kept ${configPath}`,
          `database ready at ${store.location}`,
          r.wroteConfig ? `${by} is the first admin` : '',
          `next: closeloop people add NAME --roles ir_lead --by ${by}`,
        ].filter((l) => l !== '').join('\n'),
      );
    } catch (err) {
      process.exitCode = reportError(opts, err);
    } finally {
      if (ctx) await ctx.store.close();
    }
  });

  const people = program.command('people').description('the people directory: who holds which roles');
  const peopleAdd = people
    .command('add <name>')
    .description('add a person, or replace their roles (admin only)')
    .requiredOption('--roles <roles>', 'comma-separated roles, e.g. ir_lead,service_owner', list);
  peopleAdd.action(
    action(peopleAdd, async (ctx, caller, opts, name: string) => {
      const r = await addPerson(ctx, caller, { name, roles: opts.roles as string[] });
      print(opts, { id: r.name, ...r }, () => `${r.name}: ${r.roles.join(', ')}`);
    }),
  );

  const incident = program.command('incident').description('incidents and their workflow');
  const open = incident
    .command('open')
    .description('open an incident in state reported (it now owes an IR-6(2) report-out)')
    .requiredOption('--title <title>', 'short title')
    .addOption(new Option('--severity <severity>', 'severity').choices(['low', 'moderate', 'high', 'critical']).makeOptionMandatory())
    .option('--asset <id>', 'affected asset (repeatable)', repeatable, [])
    .option('--service <id>', 'business service (selects per-service routing)')
    .option('--ir-lead <name>', 'the IR lead');
  open.action(
    action(open, async (ctx, caller, opts) => {
      const inc = await openIncident(ctx, caller, { title: opts.title as string, severity: opts.severity as 'low', assets: opts.asset as string[], service: opts.service as string | undefined, ir_lead: opts.irLead as string | undefined });
      print(opts, inc, () => `opened ${inc.id} (${inc.severity}) in state ${inc.state}`);
    }),
  );

  const show = incident.command('show <id>').description('everything about one incident, with the closure gate status');
  show.action(
    action(show, async (ctx, caller, opts, id: string) => {
      const v = await showIncident(ctx, caller, id);
      print(opts, v, () => incidentSummary(v));
    }),
  );

  const ls = incident
    .command('list')
    .description('list incidents in creation order, a page at a time')
    .option('--state <state>', 'only incidents in this state')
    .option('--limit <n>', `incidents per page (default ${INCIDENT_PAGE.default}, at most ${INCIDENT_PAGE.max})`)
    .option('--after <cursor>', 'the page after this one: the cursor printed at the end of the previous page (`next` with --json)')
    .option('--all', 'every page from here on, in one list')
    .addHelpText('after', '\nExamples:\n  closeloop incident list --state reported\n  closeloop incident list --all --json > incidents.json');
  ls.action(
    action(ls, async (ctx, caller, opts) => {
      const ask = { state: opts.state as 'reported' | undefined, limit: opts.limit as string | undefined };
      let page = await listIncidents(ctx, caller, { ...ask, after: opts.after as string | undefined });
      if (opts.all === true) {
        const incidents = [...page.incidents];
        while (page.next !== null) {
          page = await listIncidents(ctx, caller, { ...ask, after: page.next });
          incidents.push(...page.incidents);
        }
        page = { incidents, next: null };
      }
      const { incidents, next } = page;
      print(opts, { incidents, next }, () => {
        const body = incidents.length === 0 ? 'no incidents' : table(['ID', 'SEVERITY', 'STATE', 'TITLE'], incidents.map((r) => [r.id, r.severity, r.state, r.title]));
        if (next === null) return body;
        const again = ['closeloop incident list', ...(ask.state ? [`--state ${ask.state}`] : []), ...(ask.limit ? [`--limit ${ask.limit}`] : []), `--after ${next}`].join(' ');
        return `${body}\n\nmore incidents: ${again} (or --all)`;
      });
    }),
  );

  const move = incident
    .command('move <id> <state>')
    .description('move along the workflow: reported → triage → containment → eradication → recovery → post_incident');
  move.action(
    action(move, async (ctx, caller, opts, id: string, state: string) => {
      const inc = await moveIncident(ctx, caller, { id, state: state as 'triage' });
      print(opts, inc, () => `${inc.id} is now ${inc.state}${inc.reportout_opened_at && inc.updated_at === inc.reportout_opened_at ? ' (report-out task opened)' : ''}`);
    }),
  );

  const close = incident
    .command('close <id>')
    .description('close through the IR-6(2) closure gate (exit 3 lists every missing item), or as a non-incident')
    .option('--non-incident', 'close as a non-incident (determination), with --rationale')
    .option('--rationale <text>', 'why this is not an incident');
  close.action(
    action(close, async (ctx, caller, opts, id: string) => {
      const r = await closeIncident(ctx, caller, { id, non_incident: opts.nonIncident === true, rationale: opts.rationale as string | undefined });
      print(opts, r, () =>
        r.flagged.length > 0
          ? `${r.incident.id} closed with ${r.flagged.length} gap(s) flagged for post-closure review (soft gate):\n${r.flagged.map((m) => `  - ${m.message}`).join('\n')}`
          : `${r.incident.id} is ${r.incident.state}`,
      );
    }),
  );

  const reopen = incident.command('reopen <id>').description('reopen a closed incident (audited)').requiredOption('--reason <text>', 'why it is reopened');
  reopen.action(
    action(reopen, async (ctx, caller, opts, id: string) => {
      const inc = await reopenIncident(ctx, caller, { id, reason: opts.reason as string });
      print(opts, inc, () => `${inc.id} reopened, now ${inc.state}`);
    }),
  );

  const reportout = program.command('reportout').description('the IR-6(2) vulnerability report-out of an incident');
  const add = reportout
    .command('add <incident>')
    .description('add a weakness that enabled, worsened or delayed detection of the incident')
    .addOption(new Option('--type <type>', 'weakness type').choices(['technical', 'configuration', 'identity_access', 'detection_gap', 'operational', 'third_party']).makeOptionMandatory())
    .addOption(new Option('--relation <relation>', 'how it relates to the incident').choices(['enabled', 'worsened_impact', 'delayed_detection']).makeOptionMandatory())
    .requiredOption('--asset <id>', 'affected asset (repeatable)', repeatable, [])
    .requiredOption('--notes <text>', 'exploitability / exposure notes')
    .requiredOption('--action <text>', 'recommended corrective action')
    .option('--vuln <id>', 'related vulnerability id, e.g. a CVE (repeatable)', repeatable, [])
    .option('--vendor <id>', 'the vendor (required for third_party)');
  add.action(
    action(add, async (ctx, caller, opts, incidentId: string) => {
      const w = await addWeakness(ctx, caller, { incident: incidentId, type: opts.type as 'technical', relation: opts.relation as 'enabled', assets: opts.asset as string[], notes: opts.notes as string, action: opts.action as string, vulnerabilities: opts.vuln as string[], vendor: opts.vendor as string | undefined });
      print(opts, w, () => `added ${w.id} (${w.type}, ${w.relation}) to ${w.incident_id}`);
    }),
  );
  const none = reportout.command('none <incident>').description('record that no associated vulnerability was identified').requiredOption('--rationale <text>', 'why none was identified');
  none.action(
    action(none, async (ctx, caller, opts, incidentId: string) => {
      const inc = await markNoneIdentified(ctx, caller, { incident: incidentId, rationale: opts.rationale as string });
      print(opts, inc, () => `${inc.id}: report-out recorded as none identified`);
    }),
  );
  const send = reportout.command('send <incident>').description('send the report-out: one notification per recipient role (queued in the outbox)');
  send.action(
    action(send, async (ctx, caller, opts, incidentId: string) => {
      const r = await sendReportOut(ctx, caller, { incident: incidentId });
      print(opts, r, () =>
        [`${r.incident.id}: report-out revision ${r.revision} queued to ${new Set(r.notifications.map((n) => n.role)).size} role(s):`, ...r.notifications.map((n) => `  ${n.id} ${n.role} via ${n.channel} ${n.address}`), ...(r.notices_opened.length > 0 ? [`third-party notices opened: ${r.notices_opened.join(', ')}`] : []), 'run `closeloop deliver` (or the server) to deliver them'].join('\n'),
      );
    }),
  );

  const ack = program.command('ack <incident>').description('acknowledge the report-out for a role you hold').requiredOption('--role <role>', 'the recipient role').option('--comment <text>', 'comment');
  ack.action(
    action(ack, async (ctx, caller, opts, incidentId: string) => {
      const a = await acknowledge(ctx, caller, { incident: incidentId, role: opts.role as string, comment: opts.comment as string | undefined });
      print(opts, a, () => `${a.incident_id}: ${a.role} acknowledged by ${a.actor}`);
    }),
  );

  const deliver = program.command('deliver').description('deliver queued notifications once (the server does this continuously)');
  deliver.action(
    action(deliver, async (ctx, caller, opts) => {
      const s = await runDelivery(ctx, caller);
      print(opts, s, () => `delivered ${s.delivered}, retrying ${s.retrying}, failed ${s.failed}, waiting for a channel ${s.no_channel}`);
    }),
  );

  const remind = program.command('remind').description('queue reminders to roles past the acknowledgment SLA, and tell the IR lead (the server does this continuously)');
  remind.action(
    action(remind, async (ctx, caller, opts) => {
      authorize(ctx, caller, 'delivery.run');
      const s = await sendAckReminders(ctx, caller);
      print(opts, s, () => `${s.reminders} reminder(s) and ${s.lead_notices} IR lead notice(s) queued for ${s.incidents} incident(s); run \`closeloop deliver\` to send them`);
    }),
  );

  const remediation = program.command('remediation').description('remediation items for weaknesses');
  const radd = remediation
    .command('add <weakness>')
    .description('open a remediation item (due date defaults from the SLA policy)')
    .requiredOption('--owner-role <role>', 'owning role')
    .requiredOption('--assignee <name>', 'who does the work')
    .requiredOption('--criteria <text>', 'closure criteria')
    .option('--due <date>', 'due date YYYY-MM-DD')
    .option('--ticket <key>', 'external ticket reference');
  radd.action(
    action(radd, async (ctx, caller, opts, weakness: string) => {
      const r = await addRemediation(ctx, caller, { weakness, owner_role: opts.ownerRole as string, assignee: opts.assignee as string, criteria: opts.criteria as string, due: opts.due as string | undefined, ticket: opts.ticket as string | undefined });
      print(opts, r, () => `opened ${r.id} for ${r.weakness_id}, due ${r.due ?? '-'}`);
    }),
  );
  const rmove = remediation.command('move <item> <state>').description('move a remediation item: open → in_progress → resolved → verified');
  rmove.action(
    action(rmove, async (ctx, caller, opts, item: string, state: string) => {
      const r = await moveRemediation(ctx, caller, { item, state: state as 'open' });
      print(opts, r, () => `${r.id} is now ${r.status}`);
    }),
  );

  const risk = program.command('risk').description('risk acceptances (the exception path)');
  const rreq = risk
    .command('request <weakness>')
    .description('request a risk acceptance for a weakness')
    .requiredOption('--rationale <text>', 'why remediation is deferred')
    .requiredOption('--controls <text>', 'compensating controls')
    .requiredOption('--review-by <date>', 'review date YYYY-MM-DD (the acceptance expires then)');
  rreq.action(
    action(rreq, async (ctx, caller, opts, weakness: string) => {
      const r = await requestRisk(ctx, caller, { weakness, rationale: opts.rationale as string, controls: opts.controls as string, review_by: opts.reviewBy as string });
      print(opts, r, () => `requested ${r.id} for ${r.weakness_id}, review by ${r.review_by}`);
    }),
  );
  const rapp = risk.command('approve <risk>').description('approve (approver role required; never the requester)');
  rapp.action(
    action(rapp, async (ctx, caller, opts, id: string) => {
      const r = await decideRisk(ctx, caller, { risk: id, approve: true });
      print(opts, r, () => `${r.id} approved by ${r.approver ?? ''} until ${r.review_by}`);
    }),
  );
  const rrej = risk.command('reject <risk>').description('reject a requested risk acceptance').requiredOption('--reason <text>', 'why');
  rrej.action(
    action(rrej, async (ctx, caller, opts, id: string) => {
      const r = await decideRisk(ctx, caller, { risk: id, approve: false, reason: opts.reason as string });
      print(opts, r, () => `${r.id} rejected by ${r.approver ?? ''}`);
    }),
  );

  const vendor = program.command('vendor').description('third-party notices for vendor-owned weaknesses');
  const vnot = vendor.command('notify <weakness>').description('record the notice sent to the vendor').requiredOption('--channel <channel>', 'the contract channel used').option('--tracking-item <ref>', 'internal tracking item');
  vnot.action(
    action(vnot, async (ctx, caller, opts, weakness: string) => {
      const n = await notifyVendor(ctx, caller, { weakness, channel: opts.channel as string, tracking_item: opts.trackingItem as string | undefined });
      print(opts, n, () => `${n.id}: ${n.vendor} notified via ${n.channel ?? ''}`);
    }),
  );
  const vres = vendor.command('response <notice>').description("record the vendor's response / RCA statement").requiredOption('--text <text>', 'the response');
  vres.action(
    action(vres, async (ctx, caller, opts, notice: string) => {
      const n = await recordVendorResponse(ctx, caller, { notice, text: opts.text as string });
      print(opts, n, () => `${n.id}: response from ${n.vendor} recorded`);
    }),
  );
  const vch = vendor.command('chase <notice>').description('record that an unanswered notice was chased');
  vch.action(
    action(vch, async (ctx, caller, opts, notice: string) => {
      const n = await chaseVendor(ctx, caller, { notice });
      print(opts, n, () => `${n.id}: chased ${n.vendor}`);
    }),
  );

  const imp = program
    .command('import <kind> <file>')
    .description('import a file into the store: assets|vulnerabilities|findings|signals|kev|epss|advisories (one transaction per file; re-importing the same file changes nothing)')
    .option('--format <format>', 'input format (detected when absent); findings: trivy, grype, sarif, osv-scanner, cyclonedx, dependency-check, npm-audit, csv, native; signals: native, ocsf; advisories: csaf, openvex; assets: json, ndjson, csv; vulnerabilities: json, ndjson')
    .option('--triage', 'findings: decide each new or changed finding in the same transaction and record the decisions (a triage run of this import; `closeloop why` explains them)')
    .option('--ruleset <file>', 'with --triage: ruleset YAML (default: the shipped rules/default.yaml)')
    .option('--progress', 'progress lines on stderr (the default when stderr is a terminal)')
    .addHelpText(
      'after',
      '\nImport context first (assets, kev, epss, signals, advisories), then findings: with --triage each\nfinding is decided against what is stored at that moment.\n\nExamples:\n  closeloop import assets assets.csv\n  closeloop import kev known_exploited_vulnerabilities.json\n  closeloop import findings trivy-report.json --json\n  closeloop import findings trivy-report.json --triage',
    );
  imp.action(
    action(imp, async (ctx, caller, opts, kind: string, file: string) => {
      const { importFile, presentImport } = await vr();
      const r = await importFile(
        ctx,
        caller,
        {
          kind: kind as 'assets',
          file,
          format: opts.format as string | undefined,
          ...(opts.triage === true ? { triage: true } : {}),
          ...(typeof opts.ruleset === 'string' ? { ruleset: opts.ruleset } : {}),
        },
        progressTo(opts, `import ${kind}`, `${kind} read`),
      );
      print(opts, presentImport(r), () =>
        r.duplicate_of
          ? `${file}: already imported as ${r.duplicate_of} (same SHA-256); nothing changed (${r.count} ${kind} read)`
          : `${file} (${r.format}) imported as ${r.id ?? ''}: ${r.count} ${kind}, ${r.created} created, ${r.updated} updated, ${r.unchanged} unchanged` +
            (kind === 'findings' ? `, ${r.resolved} resolved (no longer reported), ${r.assets_created} new assets, ${r.vulnerabilities_created} new vulnerabilities` : '') +
            (r.triage !== null
              ? `\ntriage run ${r.triage.run} (ruleset ${r.triage.ruleset}): ${r.triage.evaluated} decided, ${r.triage.by_outcome.escalate ?? 0} escalate, ${r.triage.by_outcome.stay ?? 0} stay${Object.keys(r.triage.by_trigger).length ? ` (${Object.entries(r.triage.by_trigger).map(([t, n]) => `${t} ${n}`).join(', ')})` : ''}`
              : ''),
      );
    }),
  );

  const triage = program
    .command('triage')
    .description('decide, per finding, escalate to incident response or stay in vulnerability response (SPEC §2)')
    .option('--assets <file>', 'assets file (JSON array, NDJSON or CSV); repeatable', repeatable, [])
    .option('--vulnerabilities <file>', 'vulnerabilities file (JSON array or NDJSON); repeatable', repeatable, [])
    .option('--findings <file>', 'findings: native JSON/NDJSON or a scanner report; repeatable', repeatable, [])
    .option('--kev <file>', 'CISA KEV catalog JSON', repeatable, [])
    .option('--epss <file>', 'FIRST EPSS CSV', repeatable, [])
    .option('--signals <file>', 'signals NDJSON or OCSF Detection Findings; repeatable', repeatable, [])
    .option('--advisories <file>', 'CSAF 2.0 or OpenVEX; repeatable', repeatable, [])
    .option('--ruleset <file>', 'ruleset YAML (default: the shipped rules/default.yaml)')
    .option('--all', 'list every decision, not only the escalations')
    .option('--escalate', 'stored mode: open or link an incident for each escalation, with its handoff note')
    .option('--progress', 'stored mode: progress lines on stderr (the default when stderr is a terminal)')
    .addHelpText(
      'after',
      '\nWith file arguments, the files are evaluated and nothing is stored (no actor needed).\nWithout them, every open finding in the store is evaluated and each Decision is recorded.\n\nExamples:\n  closeloop triage --assets assets.json --vulnerabilities vulns.json --findings findings.ndjson --kev kev.json --json\n  closeloop triage --by alice                # stored data: summary, then the escalations\n  closeloop triage --escalate --by alice     # and hand them to incident response',
    );
  triage.action(async () => {
    const opts = triage.optsWithGlobals<GlobalOpts & Record<string, string[] | string | boolean | undefined>>();
    const files = (k: string): string[] => (opts[k] as string[] | undefined) ?? [];
    let ctx: AppContext | null = null;
    try {
      const { loadRuleset, triageFiles, triageStored, presentDecision } = await vr();
      const ruleset = await loadRuleset(opts.ruleset as string | undefined);
      const given = ['assets', 'vulnerabilities', 'findings', 'kev', 'epss', 'signals', 'advisories'].some((k) => files(k).length > 0);
      if (given) {
        if (files('findings').length === 0) throw new ClError('CL_BAD_INPUT', 'triage over files needs at least one --findings file');
        if (opts.escalate) throw new ClError('CL_BAD_INPUT', '--escalate works on stored data: import the files first (`closeloop import …`), then run `closeloop triage --escalate`');
        const decisions: Decision[] = [];
        await triageFiles({ assets: files('assets'), vulnerabilities: files('vulnerabilities'), findings: files('findings'), kev: files('kev'), epss: files('epss'), signals: files('signals'), advisories: files('advisories') }, ruleset, (d) => decisions.push(d));
        print(opts, { ruleset: ruleset.version, decisions: decisions.map(presentDecision) }, () => decisionTable(decisions.map(presentDecision), opts.all === true, ruleset.version));
        return;
      }
      const caller = { actor: actorOf(opts) };
      tuneFor('stored-triage');
      ctx = await openContext();
      const r = await triageStored(ctx, caller, { escalate: opts.escalate === true, all: opts.all === true }, ruleset, progressTo(opts, 'triage', 'findings decided'));
      print(opts, r, () => triageSummaryText(r));
    } catch (err) {
      process.exitCode = reportError(opts, err);
    } finally {
      if (ctx) await ctx.store.close();
    }
  });

  const why = program.command('why <finding>').description('the facts and rule lines behind the latest stored decision for a finding');
  why.action(
    action(why, async (ctx, caller, opts, finding: string) => {
      const { explainFinding } = await vr();
      const w = await explainFinding(ctx, caller, finding);
      print(opts, w, () =>
        [
          `finding ${w.finding} (${w.vulnerability} on ${w.asset}): ${w.outcome.toUpperCase()}${w.triggers.length ? ` — ${w.triggers.join(', ')}` : ''}${w.stay_reasons.length ? ` — stays: ${w.stay_reasons.join(', ')}` : ''}`,
          `  ssvc ${w.ssvc}; flags ${w.flags.join(', ') || '-'}; next ${w.next_actions.join(', ') || '-'}`,
          `  decision ${w.decision} at ${w.decided_at}, ruleset ${w.ruleset}, inputs ${w.input_hash}${w.incident ? `, incident ${w.incident}` : ''}`,
          `  evidence: ${w.evidence.join(', ') || '-'}`,
          `  ${w.replay.verified ? 'replay verified' : 'REPLAY NOT VERIFIED'}: ${w.replay.message}`,
          '  rules:',
          ...w.explanation.map((l) => `    [${l.holds ? 'x' : ' '}] ${l.rule}${l.facts.length ? `: ${l.facts.join('; ')}` : ''}`),
        ].join('\n'),
      );
    }),
  );

  const rules = program.command('rules').description('the escalation ruleset (policy)');
  const rtest = rules.command('test <cases>').description('run table cases (YAML) against the ruleset; exit 3 when any case fails').option('--ruleset <file>', 'ruleset YAML (default: the shipped one)');
  rtest.action(async (casesFile: string) => {
    const opts = rtest.optsWithGlobals<GlobalOpts & { ruleset?: string }>();
    try {
      const { loadRuleset, runRuleCases } = await vr();
      const ruleset = await loadRuleset(opts.ruleset);
      let text: string;
      try {
        text = await readFile(casesFile, 'utf8');
      } catch {
        throw new ClError('CL_BAD_INPUT', `cases file ${casesFile} cannot be read`);
      }
      const run = runRuleCases(text, ruleset, casesFile);
      print(opts, { ruleset: ruleset.version, ...run }, () =>
        [...run.results.map((c) => `${c.ok ? 'ok  ' : 'FAIL'} ${c.name}${c.ok ? '' : `\n       expected ${JSON.stringify(c.expected)}\n       actual   ${JSON.stringify(c.actual)}`}`), `${run.passed} passed, ${run.failed} failed (ruleset ${ruleset.version})`].join('\n'),
      );
      if (run.failed > 0) process.exitCode = EXIT.refused;
    } catch (err) {
      process.exitCode = reportError(opts, err);
    }
  });

  const handoff = program.command('handoff').description('IR handoff notes of escalations');
  const hshow = handoff.command('show <incident>').description('print the handoff note(s) stored with an incident (Markdown; --json for the JSON note)');
  hshow.action(
    action(hshow, async (ctx, caller, opts, incidentId: string) => {
      const { handoffNotes } = await vr();
      const notes = await handoffNotes(ctx, caller, incidentId);
      print(opts, { incident: incidentId, notes: notes.map((n) => ({ id: n.id, decision: n.decision, created_at: n.created_at, note: n.note, markdown: n.markdown })) }, () =>
        notes.length === 0 ? `${incidentId} has no handoff note (it was not opened by an escalation)` : notes.map((n) => n.markdown).join('\n\n---\n\n'),
      );
    }),
  );

  const token = program.command('token').description('API tokens');
  const tcreate = token.command('create').description('create an API token for a person (printed once, stored hashed)').requiredOption('--actor <name>', 'the person the token acts as').option('--label <text>', 'what it is for');
  tcreate.action(
    action(tcreate, async (ctx, caller, opts) => {
      const t = await createToken(ctx, caller, { actor: opts.actor as string, label: opts.label as string | undefined });
      print(opts, t, () => `${t.token}\n(token ${t.id} for ${t.actor}; it is shown only now: store it safely)`);
    }),
  );

  const auditCmd = program.command('audit').description('the tamper-evident audit chain');
  const verify = auditCmd.command('verify').description('recompute the hash chain; exit 1 naming the first bad sequence number');
  verify.action(
    action(verify, async (ctx, caller, opts) => {
      const r = await verifyAudit(ctx, caller);
      print(opts, r, () => (r.ok ? `audit chain intact: ${r.events} events, head ${r.headHash}` : `audit chain BROKEN at seq ${r.firstBad ?? '?'}: ${r.problem ?? ''}`));
      if (!r.ok) process.exitCode = EXIT.failure;
    }),
  );

  const serve = program
    .command('serve')
    .description('start the HTTP API (and the delivery dispatcher)')
    .option('--port <port>', 'port', '8080')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--bootstrap', 'first start: when closeloop.yaml is missing, write the default one with an `admin` person (or --by NAME) and print a one-time API token');
  serve.action(async () => {
    const opts = serve.optsWithGlobals<GlobalOpts & { port: string; host: string; bootstrap?: boolean }>();
    try {
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ClError('CL_BAD_INPUT', `--port ${opts.port} is not a port number`);
      let ctx: AppContext;
      if (opts.bootstrap) {
        const admin = opts.by ?? (process.env.CLOSELOOP_ACTOR || 'admin');
        const b = await bootstrapIfMissing({ configPath: configPathFromEnv(), dbUrl: storeUrlFromEnv(), admin });
        ctx = b.ctx;
        if (b.token) {
          process.stdout.write(`first start: wrote ${ctx.configPath} with ${admin} as admin\nAPI token for ${admin} (shown once; keep it safe): ${b.token}\n`);
        }
      } else {
        ctx = await openContext();
      }
      const { startServer } = await import('../api/server.js');
      const app = await startServer(ctx, { host: opts.host, port });
      const addr = app.server.address();
      const bound = addr !== null && typeof addr === 'object' ? addr.port : port;
      process.stdout.write(`closeloop listening on http://${opts.host}:${bound} (database ${ctx.store.location})\n`);
      const stop = () => {
        void app.close().then(() => ctx.store.close());
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    } catch (err) {
      process.exitCode = reportError(opts, err);
    }
  });

  return program;
}

/** Entry point: parses argv; usage errors exit 2. */
export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  program.exitOverride();
  for (const c of program.commands) {
    c.exitOverride();
    for (const s of c.commands) s.exitOverride();
  }
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.help' || err.code === 'commander.version') {
        process.exitCode = EXIT.ok;
        return;
      }
      process.exitCode = EXIT.usage;
      return;
    }
    process.exitCode = reportError({}, err);
  }
}
