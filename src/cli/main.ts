/**
 * The closeloop command line: the program with every command group, run in-process on the
 * arguments and the io it is given (bin/closeloop.js gives the process's own).
 */
import { CommanderError } from '@commander-js/extra-typings';
import { registerAdmin } from './commands/admin.js';
import { registerAudit } from './commands/audit.js';
import { registerBackup } from './commands/backup.js';
import { registerChannels } from './commands/channels.js';
import { registerConfig } from './commands/config.js';
import { registerControlCard } from './commands/control-card.js';
import { registerDelivery } from './commands/delivery.js';
import { registerDemo } from './commands/demo.js';
import { registerEvidence } from './commands/evidence.js';
import { registerFinding } from './commands/finding.js';
import { registerHealthCheck } from './commands/healthcheck.js';
import { registerImport } from './commands/import.js';
import { registerAssets } from './commands/assets.js';
import { registerIncident } from './commands/incident.js';
import { registerOscal } from './commands/oscal.js';
import { registerInit } from './commands/init.js';
import { registerOscalAssessment } from './commands/oscal-assessment.js';
import { registerMetrics } from './commands/metrics.js';
import { registerPeople } from './commands/people.js';
import { registerRemediation } from './commands/remediation.js';
import { registerReportout } from './commands/reportout.js';
import { registerRisk } from './commands/risk.js';
import { registerRules } from './commands/rules.js';
import { registerServe } from './commands/serve.js';
import { registerTickets } from './commands/tickets.js';
import { registerTriage } from './commands/triage.js';
import { registerVendor } from './commands/vendor.js';
import type { CliIo } from './io.js';
import { EXIT, reportError } from './output.js';
import { createProgram, type Program } from './program.js';
import { CliRun } from './session.js';

export type { CliIo, CliStream, CliWorkload } from './io.js';

/** The command groups, in the order `closeloop --help` lists them. */
const COMMAND_GROUPS: readonly ((program: Program, run: CliRun) => void)[] = [
  registerInit,
  registerPeople,
  registerIncident,
  registerReportout,
  registerDelivery,
  registerRemediation,
  registerRisk,
  registerVendor,
  registerMetrics,
  registerImport,
  registerAssets,
  registerTriage,
  registerFinding,
  registerRules,
  registerAdmin,
  registerAudit,
  registerEvidence,
  registerBackup,
  registerOscal,
  registerServe,
  registerChannels,
  registerConfig,
  registerControlCard,
  registerTickets,
  registerHealthCheck,
  registerOscalAssessment,
  registerDemo,
];

/** Commander's exits that are not errors: help asked for (or shown for a bare group). */
const HELP_EXITS = new Set(['commander.helpDisplayed', 'commander.help', 'commander.version']);

/**
 * Runs `closeloop ARGS` (the arguments after the program name) with `io`, and resolves to the
 * exit code: 0 ok, 1 failure, 2 usage or bad input, 3 refused by a gate or rule. Usage errors and
 * help are written to `io` as commander words them.
 */
export async function runCli(args: readonly string[], io: CliIo): Promise<number> {
  const run = new CliRun(io);
  const program = createProgram(io);
  for (const register of COMMAND_GROUPS) register(program, run);
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return HELP_EXITS.has(err.code) ? EXIT.ok : EXIT.usage;
    return reportError(io, {}, err);
  }
  return run.exitCode;
}
