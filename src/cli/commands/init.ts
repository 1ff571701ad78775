import path from 'node:path';
import type { Program } from '../program.js';
import { runs, type CliRun } from '../session.js';

/** `closeloop init`: the configuration and the database, with the actor as the first admin. */
export function registerInit(program: Program, run: CliRun): void {
  const init = program
    .command('init')
    .description('write closeloop.yaml (control card, routing, gate mode) and create the database; --by NAME becomes the first admin of the people directory (in the store) when it has nobody yet')
    .option('--db-only', 'keep the existing closeloop.yaml: only create or migrate the database');
  runs(run, init, async (s, opts) => {
    const by = s.actor();
    const r = await s.initialize({ admin: by, reuseConfig: opts.dbOnly === true });
    const { config, configPath, store } = r.ctx;
    s.print({ config: path.resolve(s.io.cwd, configPath), database: store.location, admin: by, wrote_config: r.wroteConfig, added_admin: r.addedAdmin }, () =>
      [
        r.wroteConfig ? `wrote ${configPath} (control card ${config.control_card.id} v${config.control_card.version}, gate ${config.gate.mode})` : `kept ${configPath}`,
        `database ready at ${store.location}`,
        r.addedAdmin ? `${by} is the first admin` : '',
        `next: closeloop people add NAME --roles ir_lead --by ${by}`,
      ].filter((l) => l !== '').join('\n'),
    );
  });
}
