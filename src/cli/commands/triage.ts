import type { PresentedDecision } from '../../app/knowledge.js';
import type { TriageSummary } from '../../app/triage.js';
import type { Decision } from '../../domain/escalation/index.js';
import { ClError } from '../../errors.js';
import { repeatable } from '../options.js';
import { table } from '../output.js';
import type { Program } from '../program.js';
import { acts, runs, type CliRun } from '../session.js';

function countBy(items: readonly string[]): string {
  const m = new Map<string, number>();
  for (const i of items) m.set(i, (m.get(i) ?? 0) + 1);
  return [...m.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ') || '-';
}

function decisionRows(ds: readonly PresentedDecision[]): string {
  return table(
    ['FINDING', 'ASSET', 'VULNERABILITY', 'OUTCOME', 'SSVC', 'WHY'],
    // whole ids, undecorated: a user pastes them into `closeloop why`
    ds.map((d) => [d.finding, d.asset, d.vulnerability, d.outcome, d.ssvc, d.outcome === 'escalate' ? d.triggers.join(', ') : [...d.stay_reasons, ...d.flags].join(', ') || `next: ${d.next_actions.join(', ')}`]),
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

/** One line per incident the run handed findings to (one event, one incident), in the order it first did. */
function incidentLines(r: TriageSummary): string[] {
  const byIncident = new Map<string, { grouping: string; created: boolean; findings: string[]; sent: number }>();
  for (const i of r.incidents) {
    const g = byIncident.get(i.incident) ?? { grouping: i.grouping, created: false, findings: [], sent: 0 };
    g.created ||= i.created;
    g.findings.push(i.finding);
    if (i.resent) g.sent += 1;
    byIncident.set(i.incident, g);
  }
  const revisions = new Map(r.revisions.map((v) => [v.incident, v]));
  return [...byIncident].map(([incident, g]) => {
    const revision = revisions.get(incident);
    const sent = revision === undefined ? 'nothing new to send' : `handoff revision ${revision.revision} (${revision.findings} new note(s), ${revision.assets} asset(s)) queued to ir_lead`;
    const shown = g.findings.slice(0, 3).join(', ') + (g.findings.length > 3 ? `, … (${g.findings.length - 3} more)` : '');
    return `  ${incident} ${g.created ? 'opened' : 'linked'} for ${g.grouping}: ${g.findings.length} finding(s): ${shown}; ${sent}; closeloop handoff show ${incident}`;
  });
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
    lines.push('', 'handed to incident response:', ...incidentLines(r));
  } else if (r.escalations.length > 0) {
    lines.push('', `run \`closeloop triage --escalate\` to hand these to incident response; \`closeloop why ${r.escalations[0]?.finding ?? 'FINDING'}\` explains one (any unique prefix of a finding id will do)`);
  }
  return lines.join('\n');
}

/** `closeloop triage` (over files, or over the store) and `closeloop why`. */
export function registerTriage(program: Program, run: CliRun): void {
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
  runs(run, triage, async (s, opts) => {
    const { loadRuleset, triageFiles, triageStored } = await import('../../app/triage.js');
    const { presentDecision } = await import('../../app/knowledge.js');
    const ruleset = await loadRuleset(opts.ruleset === undefined ? undefined : s.path(opts.ruleset));
    const paths = (given: string[]) => given.map((file) => s.path(file));
    const files = { assets: paths(opts.assets), vulnerabilities: paths(opts.vulnerabilities), findings: paths(opts.findings), kev: paths(opts.kev), epss: paths(opts.epss), signals: paths(opts.signals), advisories: paths(opts.advisories) };
    if (Object.values(files).some((f) => f.length > 0)) {
      if (files.findings.length === 0) throw new ClError('CL_BAD_INPUT', 'triage over files needs at least one --findings file');
      if (opts.escalate) throw new ClError('CL_BAD_INPUT', '--escalate works on stored data: import the files first (`closeloop import …`), then run `closeloop triage --escalate`');
      const decisions: Decision[] = [];
      const report = await triageFiles(files, ruleset, (d) => decisions.push(d));
      s.warn(report.warnings);
      s.print({ ruleset: ruleset.version, unknown_references: report.unknown_references, decisions: decisions.map(presentDecision) }, () => decisionTable(decisions.map(presentDecision), opts.all === true, ruleset.version));
      return;
    }
    const caller = { actor: s.actor() };
    s.io.tune?.('stored-triage');
    const ctx = await s.open();
    const r = await triageStored(ctx, caller, { escalate: opts.escalate === true, all: opts.all === true }, ruleset, s.progress(opts.progress, 'triage', 'findings decided'));
    s.print(r, () => triageSummaryText(r));
  });

  const why = program.command('why <finding>').description('the facts and rule lines behind the latest stored decision for a finding');
  acts(run, why, async ({ s, ctx, caller }, _opts, finding) => {
    const { explainFinding } = await import('../../app/triage.js');
    const w = await explainFinding(ctx, caller, finding);
    s.print(w, () =>
      [
        `finding ${w.finding} (${w.vulnerability} on ${w.asset}): ${w.outcome.toUpperCase()}${w.triggers.length ? ` — ${w.triggers.join(', ')}` : ''}${w.stay_reasons.length ? ` — stays: ${w.stay_reasons.join(', ')}` : ''}`,
        `  ssvc ${w.ssvc}; flags ${w.flags.join(', ') || '-'}; next ${w.next_actions.join(', ') || '-'}`,
        `  decision ${w.decision} at ${w.decided_at}, ruleset ${w.ruleset}, engine ${w.engine}, inputs ${w.input_hash}${w.incident ? `, incident ${w.incident}` : ''}`,
        `  evidence: ${w.evidence.join(', ') || '-'}`,
        `  ${w.replay.verified ? 'replay verified' : 'REPLAY NOT VERIFIED'}: ${w.replay.message}`,
        '  rules:',
        ...w.explanation.map((l) => `    [${l.holds ? 'x' : ' '}] ${l.rule}${l.facts.length ? `: ${l.facts.join('; ')}` : ''}`),
      ].join('\n'),
    );
  });
}
