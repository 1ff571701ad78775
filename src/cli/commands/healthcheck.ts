import { Option } from '@commander-js/extra-typings';
import { addHealthCheckNote, listHealthChecks, runHealthCheck, showHealthCheck, type HealthCheckSummary, type HealthCheckView } from '../../app/healthcheck.js';
import { QUESTIONS } from '../../app/healthcheck-answers.js';
import { writeExportFile } from '../../app/oscal/common.js';
import { healthCheckWorksheet } from '../../app/healthcheck-worksheet.js';
import { table } from '../output.js';
import type { Program } from '../program.js';
import { acts, type CliRun } from '../session.js';

const headline = (c: HealthCheckSummary | HealthCheckView): string =>
  `${c.id}  ${c.control.id} v${c.control.version}, incidents closed ${c.period.from} to ${c.period.to}: ${c.passed} of ${c.sampled} sampled passed (population ${c.population}, seed ${c.seed}${c.stratify ? `, stratified by ${c.stratify}` : ''})`;

/** `healthcheck show` in words: the check, then each sampled incident's four answers, findings and notes. */
function checkText(v: HealthCheckView): string {
  const lines = [headline(v), `  by ${v.created_by} at ${v.created_at}; ${v.method}`];
  for (const s of v.samples) {
    lines.push(`  ${s.position}. ${s.incident_id} (${s.stratum}): ${s.passed ? 'passed' : 'GAPS'}${s.reopened ? ', reopened' : ''}`);
    for (const [i, q] of QUESTIONS.entries()) {
      const a = s.answers[q];
      lines.push(`     q${i + 1} ${q}: ${a.passed ? 'yes' : 'gap'}: ${a.answer}${a.evidence.length > 0 ? ` [${a.evidence.join(', ')}]` : ''}`);
      for (const g of a.gaps) lines.push(`        - ${g.message}`);
    }
    for (const n of s.notes) lines.push(`     note ${n.id} by ${n.author} at ${n.created_at}: ${n.text}`);
  }
  if (v.findings.length > 0) {
    lines.push('  control findings:');
    for (const f of v.findings) lines.push(`    ${f.id} ${f.incident_id} q:${f.question} owner ${f.owner_role}, remediation ${f.remediation_item_id}: ${f.message}`);
  }
  return lines.join('\n');
}

/** `closeloop healthcheck`: recurring control health checks by sampling (SPEC §5). */
export function registerHealthCheck(program: Program, run: CliRun): void {
  const hc = program
    .command('healthcheck')
    .description('control health checks: sample closed incidents, answer the four questions from the records, record gaps as control findings')
    .addHelpText(
      'after',
      `
Examples:
  closeloop healthcheck run --from 2026-10-01 --to 2026-12-31 --sample 10 --seed q4-2026 --stratify severity --by grc
  closeloop healthcheck show HC-0001
  closeloop healthcheck note HC-0001 --incident INC-2026-0007 --text "ack by phone, see ticket OPS-12" --by auditor
  closeloop healthcheck worksheet HC-0001 -o hc-0001.csv
  closeloop oscal assessment-results HC-0001 -o hc-0001-ar.json`,
    );

  const runCmd = hc
    .command('run')
    .description('sample the incidents closed in a period (same seed, same sample) and answer, for each, the four questions; every gap becomes a control finding with a remediation item')
    .requiredOption('--from <date>', 'first day of the period, YYYY-MM-DD')
    .requiredOption('--to <date>', 'last day of the period, YYYY-MM-DD (inclusive)')
    .requiredOption('--sample <n>', 'how many incidents to sample')
    .requiredOption('--seed <seed>', 'the seed (record it: the same seed draws the same sample)')
    .addOption(new Option('--stratify <by>', 'split the sample over strata in proportion').choices(['severity'] as const));
  acts(run, runCmd, async ({ s, ctx, caller }, opts) => {
    const v = await runHealthCheck(ctx, caller, { from: opts.from, to: opts.to, sample: opts.sample, seed: opts.seed, stratify: opts.stratify });
    s.print(v, () => `${checkText(v)}\n${v.findings.length === 0 ? 'no gaps found' : `${v.findings.length} control finding(s) opened, owned by ${ctx.config.control_card.owner_role}`}`);
  });

  const show = hc.command('show <id>').description('a check: each sampled incident with its four answers, evidence ids, control findings and notes');
  acts(run, show, async ({ s, ctx, caller }, _opts, id) => {
    const v = await showHealthCheck(ctx, caller, { id });
    s.print(v, () => checkText(v));
  });

  const ls = hc.command('list').description('every check, newest first');
  acts(run, ls, async ({ s, ctx, caller }) => {
    const checks = await listHealthChecks(ctx, caller);
    s.print(checks, () =>
      checks.length === 0
        ? 'no health check yet: `closeloop healthcheck run --from DATE --to DATE --sample N --seed S`'
        : table(
            ['id', 'period', 'sampled', 'passed', 'findings', 'by', 'at'],
            checks.map((c) => [c.id, `${c.period.from}..${c.period.to}`, String(c.sampled), String(c.passed), String(c.findings), c.created_by, c.created_at]),
          ),
    );
  });

  const note = hc
    .command('note <id>')
    .description("add a reviewer's note to a sampled incident of a check (audited)")
    .requiredOption('--incident <id>', 'the sampled incident')
    .requiredOption('--text <text>', 'the note');
  acts(run, note, async ({ s, ctx, caller }, opts, id) => {
    const n = await addHealthCheckNote(ctx, caller, { id, incident: opts.incident, text: opts.text });
    s.print(n, () => `noted ${n.id} on ${n.incident_id} in ${n.health_check_id}`);
  });

  const worksheet = hc
    .command('worksheet <id>')
    .description('write the CSV worksheet: one row per sampled incident, the four answers, evidence ids, gaps, control findings, reviewer notes (file 0600)')
    .requiredOption('-o, --out <file>', 'the CSV file to write');
  acts(run, worksheet, async ({ s, ctx, caller }, opts, id) => {
    const w = await healthCheckWorksheet(ctx, caller, { id });
    const file = s.path(opts.out);
    writeExportFile(file, w.csv);
    s.print({ file, rows: w.csv.split('\r\n').length - 2 }, () => `wrote ${file}`);
  });
}
