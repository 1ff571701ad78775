import { Option } from '@commander-js/extra-typings';
import { exportPoam, POAM_FORMATS } from '../../app/oscal/poam.js';
import type { Program } from '../program.js';
import { acts, type CliRun } from '../session.js';

function createOscalCommand(program: Program) {
  return program
    .command('oscal')
    .description('OSCAL 1.1.3 exports for assessors: the Plan of Action and Milestones (and a FedRAMP-style POA&M CSV)')
    .addHelpText('after', '\nThe documents are valid against NIST\'s OSCAL 1.1.3 JSON schemas; see docs/oscal.md.');
}

export type OscalCommand = ReturnType<typeof createOscalCommand>;

const OSCAL_GROUPS = new WeakMap<Program, OscalCommand>();

/**
 * The `closeloop oscal` group of `program`, created on first use: each OSCAL export registers its
 * subcommand on it (`poam` here, `assessment-results` beside it), whatever order groups register in.
 */
export function oscalCommand(program: Program): OscalCommand {
  let group = OSCAL_GROUPS.get(program);
  if (group === undefined) {
    group = createOscalCommand(program);
    OSCAL_GROUPS.set(program, group);
  }
  return group;
}

/** `closeloop oscal poam`: the Plan of Action and Milestones, as OSCAL JSON or FedRAMP-style CSV. */
export function registerOscal(program: Program, run: CliRun): void {
  const poam = oscalCommand(program)
    .command('poam')
    .description('write the Plan of Action and Milestones: one item per weakness (and per finding remediation item) with its observation, risk status, remediation plan and milestones, risk log and approved deviations (grc_contact, auditor, vuln_mgmt_owner, admin)')
    .requiredOption('-o, --output <file>', 'the file to write (created 0600; replaced whole, never half-written)')
    .addOption(new Option('--format <format>', 'OSCAL JSON, or the FedRAMP POA&M template\'s columns as CSV').choices(POAM_FORMATS).default('json' as const))
    .addHelpText(
      'after',
      '\nTwo exports of an unchanged store are identical (UUIDs are derived from record ids, last-modified is the newest record\'s time); each export is recorded in the audit log as the exporter\'s event.\n\n' +
        'Examples:\n  closeloop oscal poam -o poam.json --by grace\n  closeloop oscal poam --format csv -o poam.csv --by grace',
    );
  acts(run, poam, async ({ s, ctx, caller }, opts) => {
    const r = await exportPoam(ctx, caller, { format: opts.format }, s.path(opts.output));
    const { text: _text, document: _document, ...summary } = r;
    s.print({ ...summary, file: opts.output }, () => `wrote ${r.items} POA&M item${r.items === 1 ? '' : 's'} (${r.format}) to ${opts.output}${r.last_modified === null ? '' : `; last modified ${r.last_modified}`}`);
  });
}
