import { backupStore, restoreStore } from '../../app/backup.js';
import type { Program } from '../program.js';
import { acts, runs, type CliRun } from '../session.js';

/** `closeloop backup FILE` and `closeloop restore FILE`: copies of a SQLite store. */
export function registerBackup(program: Program, run: CliRun): void {
  const backup = program
    .command('backup <file>')
    .description('write an online backup of the SQLite store to a new file (0600), consistent while the server runs; admin only')
    .option('--progress', 'progress lines on stderr (the default when stderr is a terminal)')
    .addHelpText('after', '\nPostgreSQL stores are backed up with pg_dump; see docs/reliability.md.\n\nExample:\n  closeloop backup backups/closeloop-2026-12-06.db --by admin');
  acts(run, backup, async ({ s, ctx, caller }, opts, file) => {
    const report = opts.progress === true || s.io.stderr.isTTY === true;
    const r = await backupStore(ctx, caller, { file: s.path(file) }, report ? (copied, total) => s.io.stderr.write(`closeloop: backup: ${copied} of ${total} pages\n`) : undefined);
    s.print(r, () => `backed up ${ctx.store.location} to ${file}: ${r.pages} pages, audit chain of ${r.events} events (head ${r.head})`);
  });

  const restore = program
    .command('restore <file>')
    .description('replace the SQLite store with a backup: the copy is upgraded, its audit chain verified and the restore audited before it takes the store\'s place; admin only')
    .option('--force', 'replace an existing store (stop the server first)');
  runs(run, restore, async (s, opts, file) => {
    const r = await restoreStore(s.source, { actor: s.actor() }, { from: s.path(file), force: opts.force === true });
    s.print(r, () => `restored ${file} to ${r.store}: audit chain of ${r.events} events intact (head ${r.head}), the restore recorded in it`);
  });
}
