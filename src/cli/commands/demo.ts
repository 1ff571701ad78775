import type { DemoSummary } from '../../app/demo.js';
import type { Program } from '../program.js';
import { acts, type CliRun } from '../session.js';

const counts = (rec: Readonly<Record<string, number>>): string =>
  Object.entries(rec)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');

/** `closeloop demo` in words: who was added, what the estate holds, and what to do next. */
function demoText(r: DemoSummary): string {
  return [
    `Northwind demo estate written, ${r.started_at.slice(0, 10)} to ${r.ended_at.slice(0, 10)}:`,
    '',
    'people:',
    ...r.people.map((p) => `  ${p.name.padEnd(16)} ${p.roles.join(', ').padEnd(22)} ${p.who}`),
    '',
    `incidents            ${r.incidents.total}: ${counts(r.incidents.by_state)}`,
    `severities           ${counts(r.incidents.by_severity)}`,
    `weaknesses           ${r.weaknesses.total}: ${counts(r.weaknesses.by_type)}`,
    `acknowledgments      ${r.acknowledgments.given} given, ${r.acknowledgments.missing} missing`,
    `remediation items    ${r.remediation.total}: ${counts(r.remediation.by_status)}; ${r.remediation.overdue} overdue`,
    `risk acceptances     approved ${r.risk_acceptances.approved}, expired ${r.risk_acceptances.expired}, awaiting a decision ${r.risk_acceptances.requested}`,
    `vendor notices       ${r.third_party_notices.total}: ${r.third_party_notices.responded} answered, ${r.third_party_notices.chased} chased`,
    `imports              ${r.imports} files, ${r.findings} findings`,
    `triage ${r.triage.run.padEnd(13)} ${r.triage.evaluated} decided: escalate ${r.triage.escalate}, stay ${r.triage.stay}${Object.keys(r.triage.by_trigger).length > 0 ? ` (${counts(r.triage.by_trigger)})` : ''}`,
    ...r.escalations.map((e) => `  escalated to ${e.incident} (${e.grouping})`),
    `deliveries           ${r.deliveries.delivered} delivered, ${r.deliveries.queued} queued, ${r.deliveries.failed} failed`,
    '',
    'next:',
    ...r.next_steps.map((s) => `  ${s}`),
  ].join('\n');
}

/** `closeloop demo`: an empty store filled with a small living estate, for a first look. */
export function registerDemo(program: Program, run: CliRun): void {
  const demo = program
    .command('demo')
    .description('fill an EMPTY store with a small demonstration estate (Northwind: people, incidents in every state, findings, escalations) through the use cases, over the last 60 days (admin only)')
    .addHelpText('after', '\nRefused (exit 3) when the store holds any incident, import or finding.\n\nExample, after the first start:\n  npx closeloop demo --by admin');
  acts(run, demo, async ({ s, ctx, caller }) => {
    const { runDemo } = await import('../../app/demo.js');
    const r = await runDemo(ctx, caller, {}, { onProgress: (line) => s.io.stderr.write(`closeloop: demo: ${line}\n`) });
    s.print(r, () => demoText(r));
  });
}
