import { Command } from '@commander-js/extra-typings';
import type { CliIo } from './io.js';

/**
 * The program without its commands: the description, the program-wide options (`--json`, `--by`)
 * and help, with output and exits sent through `io` (commander's own go to the process). Commands
 * created from it inherit both.
 */
export function createProgram(io: CliIo) {
  return new Command()
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
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      getOutHelpWidth: () => (io.stdout.isTTY ? io.stdout.columns : undefined) ?? 80,
      getErrHelpWidth: () => (io.stderr.isTTY ? io.stderr.columns : undefined) ?? 80,
      // the help has no colour of its own to keep or strip
      getOutHasColors: () => false,
      getErrHasColors: () => false,
    })
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
}

/** The program that commands are added to. */
export type Program = ReturnType<typeof createProgram>;
