import { writeExportFile } from '../../app/oscal/common.js';
import { healthCheckAssessmentResults } from '../../app/oscal/assessment-results.js';
import type { Program } from '../program.js';
import { oscalCommand } from './oscal.js';
import { acts, type CliRun } from '../session.js';

/**
 * `closeloop oscal assessment-results`: a health check as OSCAL 1.1.3 assessment-results, in the
 * one `oscal` command group (oscalCommand).
 */
export function registerOscalAssessment(program: Program, run: CliRun): void {
  const oscal = oscalCommand(program);
  const ar = oscal
    .command('assessment-results <healthcheck>')
    .description('write a health check as OSCAL 1.1.3 assessment-results JSON (stable UUIDs: the same check gives the same document; file 0600)')
    .requiredOption('-o, --out <file>', 'the JSON file to write')
    .addHelpText('after', '\nExample:\n  closeloop oscal assessment-results HC-0001 -o hc-0001-ar.json');
  acts(run, ar, async ({ s, ctx, caller }, opts, id) => {
    const r = await healthCheckAssessmentResults(ctx, caller, { id });
    const file = s.path(opts.out);
    writeExportFile(file, `${JSON.stringify(r.document, null, 2)}\n`);
    s.print({ file }, () => `wrote ${file}`);
  });
}
