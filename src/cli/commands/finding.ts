import type { Reachability, Validation } from '../../domain/records.js';
import { checkedByUseCase } from '../options.js';
import type { Program } from '../program.js';
import { acts, type CliRun } from '../session.js';

/** `closeloop finding`: an analyst's verdict on a finding, and what is known of one. */
export function registerFinding(program: Program, run: CliRun): void {
  const finding = program.command('finding').description('findings: analyst verdicts (validation, reachability, containment)');

  const set = finding
    .command('set <finding>')
    .description('record a verdict on a finding (at least one of --validation, --reachability, --containment; --note says why) and decide it again')
    .option('--validation <v>', 'unvalidated, validated, not_affected or false_positive')
    .option('--reachability <r>', 'reachable, unreachable or unknown')
    .option('--containment <c>', 'the containment action needed (isolation, account_reset, …), true, or false to clear the flag')
    .requiredOption('--note <text>', 'why: the analyst\'s reasoning, kept with the verdict')
    .option('--ruleset <file>', 'ruleset YAML to decide with (default: the shipped one)');
  acts(run, set, async ({ s, ctx, caller }, opts, id) => {
    const { setFindingVerdict } = await import('../../app/finding-verdict.js');
    const { loadRuleset } = await import('../../app/load-ruleset.js');
    const ruleset = await loadRuleset(opts.ruleset === undefined ? undefined : s.path(opts.ruleset));
    const r = await setFindingVerdict(ctx, caller, { finding: id, validation: opts.validation === undefined ? undefined : checkedByUseCase<Validation>(opts.validation), reachability: opts.reachability === undefined ? undefined : checkedByUseCase<Reachability>(opts.reachability), containment: opts.containment, note: opts.note }, { ruleset });
    const d = r.decision;
    s.print(r, () =>
      [
        `${r.verdict}: ${r.actor} set finding ${r.finding}: validation ${r.validation}, reachability ${r.reachability}, containment ${String(r.containment_needed)}`,
        `  decided again (${d.id}, ruleset ${d.ruleset}): ${d.outcome.toUpperCase()}${d.triggers.length ? ` — ${d.triggers.join(', ')}` : ''}${d.stay_reasons.length ? ` — stays: ${d.stay_reasons.join(', ')}` : ''}`,
        ...(r.incident ? [`  handed to IR: ${r.incident.incident}${r.incident.created ? ' (opened)' : ''}, handoff ${r.incident.handoff}`] : []),
      ].join('\n'),
    );
  });

  const show = finding.command('show <finding>').description('a finding, the verdicts on it and its latest decision (`closeloop why` explains it)');
  acts(run, show, async ({ s, ctx, caller }, _opts, id) => {
    const { showFinding } = await import('../../app/show-finding.js');
    const r = await showFinding(ctx, caller, id);
    const f = r.finding;
    s.print(r, () =>
      [
        `finding ${f.id} (${f.vulnerability} on ${f.asset}${f.component ? `, ${f.component}${f.version ? ` ${f.version}` : ''}` : ''}), ${f.status}`,
        `  validation ${f.validation}${f.ruled_out_by ? ` (ruled out by ${f.ruled_out_by})` : ''}, reachability ${f.reachability}${f.check ? ` (${f.check} check)` : ''}, containment ${String(f.containment_needed)}`,
        ...(f.where === null ? [] : [`  seen on ${whereText(f.where)}`]),
        ...(r.verdicts.length === 0 ? ['  no analyst verdict'] : r.verdicts.map((v) => `  ${v.id} ${v.at} ${v.actor}: ${Object.entries(v.set).filter(([, x]) => x !== null).map(([k, x]) => `${k} ${String(x)}`).join(', ')} — ${v.note}`)),
        r.decision === null ? '  no decision yet' : `  latest decision ${r.decision.id} (${r.decision.decided_at}, ruleset ${r.decision.ruleset}, engine ${r.decision.engine}): ${r.decision.outcome}${[...r.decision.triggers, ...r.decision.stay_reasons].length ? ` — ${[...r.decision.triggers, ...r.decision.stay_reasons].join(', ')}` : ''}`,
      ].join('\n'),
    );
  });
}

/** `tcp/8080 (http), from Nessus scanner 10.0.0.5 (policy "External")`. */
function whereText(w: { port: number | null; protocol: string | null; service: string | null; vantage_point: string | null }): string {
  const port = w.port === null ? 'the host' : `${w.protocol ?? 'port'}/${w.port}${w.service === null ? '' : ` (${w.service})`}`;
  return `${port}${w.vantage_point === null ? '' : `, from ${w.vantage_point}`}`;
}
