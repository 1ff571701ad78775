import { contextLocations } from '../../app/open-context.js';
import { migrateConfigFile } from '../../config/migrate.js';
import type { Program } from '../program.js';
import { runs, type CliRun } from '../session.js';

/** `closeloop config migrate`: upgrades closeloop.yaml to the current version, keeping the old file. */
export function registerConfig(program: Program, run: CliRun): void {
  const config = program.command('config').description('the configuration file (closeloop.yaml)');
  const migrate = config
    .command('migrate')
    .description('upgrade closeloop.yaml to the current version (the old file is kept as closeloop.yaml.v1.bak) and list the environment variables it now refers to')
    .option('--dry-run', 'say what would change, write nothing');
  runs(run, migrate, async (s, opts) => {
    const { configPath } = contextLocations(s.source);
    const m = migrateConfigFile(configPath, { dryRun: opts.dryRun === true });
    const { text: _text, ...shown } = m;
    s.print({ file: configPath, dry_run: opts.dryRun === true, ...shown }, () => {
      if (m.from === m.to) return `${configPath} is already version ${m.to}: nothing to do`;
      const head = opts.dryRun === true ? `would upgrade ${configPath} from version ${m.from} to ${m.to}:` : `upgraded ${configPath} from version ${m.from} to ${m.to} (the old file is kept as ${m.backup ?? ''}):`;
      const vars = m.variables.length === 0 ? [] : ['set these environment variables before closeloop starts:', ...m.variables.map((v) => `  ${v.name}: ${v.value}`)];
      return [head, ...m.changes.map((c) => `  ${c}`), ...vars].join('\n');
    });
  });
}
