import { readFile } from 'node:fs/promises';
import { ClError } from '../../errors.js';
import { EXIT } from '../output.js';
import type { Program } from '../program.js';
import { acts, runs, type CliRun } from '../session.js';

/** `closeloop rules test` (the ruleset against table cases) and `closeloop handoff show`. */
export function registerRules(program: Program, run: CliRun): void {
  const rules = program.command('rules').description('the escalation ruleset (policy)');
  const test = rules.command('test <cases>').description('run table cases (YAML) against the ruleset; exit 3 when any case fails').option('--ruleset <file>', 'ruleset YAML (default: the shipped one)');
  runs(run, test, async (s, opts, casesFile) => {
    const { loadRuleset } = await import('../../app/triage.js');
    const { runRuleCases } = await import('../../domain/escalation/index.js');
    const ruleset = await loadRuleset(opts.ruleset === undefined ? undefined : s.path(opts.ruleset));
    let text: string;
    try {
      text = await readFile(s.path(casesFile), 'utf8');
    } catch {
      throw new ClError('CL_BAD_INPUT', `cases file ${casesFile} cannot be read`);
    }
    const r = runRuleCases(text, ruleset, casesFile);
    s.print({ ruleset: ruleset.version, ...r }, () =>
      [...r.results.map((c) => `${c.ok ? 'ok  ' : 'FAIL'} ${c.name}${c.ok ? '' : `\n       expected ${JSON.stringify(c.expected)}\n       actual   ${JSON.stringify(c.actual)}`}`), `${r.passed} passed, ${r.failed} failed (ruleset ${ruleset.version})`].join('\n'),
    );
    return r.failed > 0 ? EXIT.refused : undefined;
  });

  const handoff = program.command('handoff').description('IR handoff notes of escalations');
  const show = handoff.command('show <incident>').description('print the handoff note(s) stored with an incident (Markdown; --json for the JSON note)');
  acts(run, show, async ({ s, ctx, caller }, _opts, incident) => {
    const { handoffNotes, handoffRevisions } = await import('../../app/triage.js');
    const notes = await handoffNotes(ctx, caller, incident);
    const revisions = await handoffRevisions(ctx, caller, incident);
    s.print({ incident, notes: notes.map((n) => ({ id: n.id, decision: n.decision, created_at: n.created_at, note: n.note, markdown: n.markdown })), revisions: revisions.map(({ markdown: _m, ...r }) => r) }, () =>
      notes.length === 0
        ? `${incident} has no handoff note (it was not opened by an escalation)`
        : [...revisions.map((r) => `revision ${r.revision} (${r.created_at}): ${r.added.length} finding(s) added${r.added.length > 0 ? `: ${r.added.slice(0, 10).map((a) => a.finding).join(', ')}${r.added.length > 10 ? ', …' : ''}` : ''}`), '', notes.map((n) => n.markdown).join('\n\n---\n\n')].join('\n'),
    );
  });
}
