import { writeExportFile } from '../../app/healthcheck-files.js';
import { healthCheckAssessmentResults } from '../../app/oscal/assessment-results.js';
import type { Program } from '../program.js';
import { acts, type CliRun } from '../session.js';

/**
 * `closeloop oscal assessment-results`: a health check as OSCAL 1.1.3 assessment-results. It joins
 * the `oscal` command when another group registered it first, else creates it.
 */
export function registerOscalAssessment(program: Program, run: CliRun): void {
  const create = () => program.command('oscal').description('OSCAL 1.1.3 exports');
  // the group as the program created it, whichever registration did (commander keeps subcommands untyped)
  const oscal = (program.commands.find((c) => c.name() === 'oscal') as ReturnType<typeof create> | undefined) ?? create();
  const ar = oscal
    .command('assessment-results <healthcheck>')
    .description('write a health check as OSCAL 1.1.3 assessment-results JSON (stable UUIDs: the same check gives the same document; file 0600)')
    .requiredOption('-o, --out <file>', 'the JSON file to write')
    .addHelpText('after', '\nExample:\n  closeloop oscal assessment-results HC-0001 -o hc-0001-ar.json');
  acts(run, ar, async ({ s, ctx, caller }, opts, id) => {
    const r = await healthCheckAssessmentResults(ctx, caller, { id });
    const file = s.path(opts.out);
    await writeExportFile(file, `${JSON.stringify(r.document, null, 2)}\n`);
    s.print({ file }, () => `wrote ${file}`);
  });
}
