import type { Program } from '../program.js';
import { acts, type CliRun } from '../session.js';

/** `closeloop assets`: the assets the store knows, and folding a provisional asset into its inventory record. */
export function registerAssets(program: Program, run: CliRun): void {
  const assets = program.command('assets').description('assets: list them (--unmatched: the provisional ones reports named and the inventory does not), merge a provisional one into its inventory asset');

  const ls = assets
    .command('list')
    .description('list assets by id, with their open findings')
    .option('--unmatched', 'only provisional assets: report targets no inventory asset matched (not in inventory; owner and exposure unknown)')
    .option('--limit <n>', 'at most this many (default 1000)')
    .addHelpText('after', '\nExamples:\n  closeloop assets list --unmatched\n  closeloop assets list --json');
  acts(run, ls, async ({ s, ctx, caller }, opts) => {
    const { listAssets } = await import('../../app/assets.js');
    const rows = await listAssets(ctx, caller, { unmatched: opts.unmatched === true, ...(opts.limit !== undefined ? { limit: opts.limit } : {}) });
    s.print({ assets: rows }, () =>
      rows.length === 0
        ? opts.unmatched === true
          ? 'no provisional assets: every report target matched an inventory asset'
          : 'no assets'
        : rows
            .map((a) => `${a.id}\t${a.not_in_inventory ? 'NOT IN INVENTORY' : 'inventory'}\texposure ${a.exposure}\towner ${a.owner ?? '-'}\t${a.open_findings} open findings${a.target_type !== null ? `\t(${a.target_type})` : ''}`)
            .join('\n'),
    );
  });

  const merge = assets
    .command('merge <provisional> <into>')
    .description('merge a provisional asset into inventory asset INTO: its findings and signals move, its target becomes an alias of INTO, the moved findings are decided again')
    .option('--ruleset <file>', 'ruleset YAML for the new decisions (default: the shipped rules/default.yaml)')
    .addHelpText('after', '\nExample:\n  closeloop assets merge image:docker.io/acme/payments payments-api --by alice');
  acts(run, merge, async ({ s, ctx, caller }, opts, provisional, into) => {
    const { mergeAssets } = await import('../../app/assets.js');
    const r = await mergeAssets(ctx, caller, { provisional, into }, typeof opts.ruleset === 'string' ? { ruleset: s.path(opts.ruleset) } : {});
    s.print(r, () =>
      `${r.provisional} merged into ${r.into}: ${r.findings_moved} findings and ${r.signals_moved} signals moved; aliases ${r.aliases_added.join(', ') || '-'}\n` +
      `triage run ${r.triage.run} (ruleset ${r.triage.ruleset}): ${r.triage.evaluated} decided, ${r.triage.by_outcome.escalate ?? 0} escalate, ${r.triage.by_outcome.stay ?? 0} stay`,
    );
  });
}
