import { writeFileSync } from 'node:fs';
import { Option } from '@commander-js/extra-typings';
import { controlCardHistory, showControlCard } from '../../app/control-card.js';
import { CONTROL_CARD_FORMATS, renderControlCard } from '../../app/control-card-render.js';
import type { Program } from '../program.js';
import { acts, type CliRun } from '../session.js';

/** `closeloop control-card`: the IR-6(2) control card for people, any recorded version, and its history. */
export function registerControlCard(program: Program, run: CliRun): void {
  const card = program
    .command('control-card')
    .description('the IR-6(2) control card as people read it: objective, owner role, triggers, recipient roles, workflow steps, exception rules, evidence location, its version and when it took effect')
    .addOption(new Option('--format <format>', 'md, html (one self-contained page) or json (the card as recorded)').choices(CONTROL_CARD_FORMATS).default('md' as const))
    .option('--version <n>', 'a recorded version (default: the one in force; `closeloop control-card history` lists them)')
    .option('-o, --output <file>', 'write it to FILE instead of standard output')
    .addHelpText(
      'after',
      '\nThe card is closeloop.yaml\'s control_card. Each version is recorded in the store the first time closeloop runs with it\n' +
        '(audited as control_card.changed); editing the card without raising control_card.version is refused at start.\n\n' +
        'Examples:\n  closeloop control-card --by alice\n  closeloop control-card --format html -o control-card.html --by alice\n  closeloop control-card --version 1 --format json --by alice\n  closeloop control-card history --by alice',
    );
  acts(run, card, async ({ s, ctx, caller }, opts) => {
    const shown = await showControlCard(ctx, caller, opts.version === undefined ? {} : { version: opts.version });
    const text = renderControlCard(shown, opts.format);
    if (opts.output === undefined) {
      if (s.json) s.print(shown, () => '');
      else s.io.stdout.write(text);
      return;
    }
    writeFileSync(s.path(opts.output), text);
    s.print({ file: opts.output, format: opts.format, version: shown.version, digest: shown.digest }, () => `wrote control card ${shown.card.id} v${shown.version} (${opts.format}) to ${opts.output ?? ''}`);
  });

  const history = card.command('history').description('every version of the control card the store has run with, oldest first, and when each took effect');
  acts(run, history, async ({ s, ctx, caller }) => {
    const versions = await controlCardHistory(ctx, caller);
    s.print({ versions }, () =>
      versions.length === 0
        ? 'no control card version recorded yet'
        : versions.map((v) => `v${v.version}  took effect ${v.recorded_at}  by ${v.recorded_by}  sha256 ${v.digest.slice(0, 12)}${v.in_force ? '  (in force)' : ''}`).join('\n'),
    );
  });
}
