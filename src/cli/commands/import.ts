import { importFormats, type importFile } from '../../app/importer.js';
import { checkedByUseCase } from '../options.js';
import type { Program } from '../program.js';
import { acts, type CliRun } from '../session.js';

type ImportKind = Parameters<typeof importFile>[2]['kind'];

/** `closeloop import KIND FILE`: one file into the store, in one transaction. */
export function registerImport(program: Program, run: CliRun): void {
  const imp = program
    .command('import <kind> <file>')
    .description('import a file into the store: assets|vulnerabilities|findings|signals|kev|epss|advisories (one transaction per file; re-importing the same file changes nothing)')
    .option('--format <format>', `input format (detected when absent); findings: ${importFormats('findings').join(', ')} (docs/formats.md); signals: native, ocsf; advisories: csaf, openvex; assets: json, ndjson, csv; vulnerabilities: json, ndjson`)
    .option('--triage', 'findings: decide each new or changed finding in the same transaction and record the decisions (a triage run of this import; `closeloop why` explains them)')
    .option('--ruleset <file>', 'with --triage: ruleset YAML (default: the shipped rules/default.yaml)')
    .option('--force', 'import even when the same file (same SHA-256) was imported before; the import and its audit event name the earlier one')
    .option('--progress', 'progress lines on stderr (the default when stderr is a terminal)')
    .addHelpText(
      'after',
      '\nImport context first (assets, kev, epss, signals, advisories), then findings: with --triage each\nfinding is decided against what is stored at that moment.\n\nExamples:\n  closeloop import assets assets.csv\n  closeloop import kev known_exploited_vulnerabilities.json\n  closeloop import findings trivy-report.json --json\n  closeloop import findings trivy-report.json --triage',
    );
  acts(run, imp, async ({ s, ctx, caller }, opts, kind, file) => {
    // loaded for the commands that use them: a faster start for the others
    const { importFile, presentImport } = await import('../../app/importer.js');
    const r = await importFile(
      ctx,
      caller,
      {
        kind: checkedByUseCase<ImportKind>(kind),
        file: s.path(file),
        format: opts.format,
        ...(opts.triage === true ? { triage: true } : {}),
        ...(opts.force === true ? { force: true } : {}),
        ...(typeof opts.ruleset === 'string' ? { ruleset: s.path(opts.ruleset) } : {}),
      },
      s.progress(opts.progress, `import ${kind}`, `${kind} read`),
    );
    s.warn(r.warnings);
    s.print(presentImport(r), () =>
      r.duplicate_of
        ? `${file}: already imported as ${r.duplicate_of} (same SHA-256); nothing changed (${r.count} ${kind} read)`
        : `${file} (${r.format}) imported as ${r.id ?? ''}${r.reimport_of !== null ? ` (again: same file as ${r.reimport_of}, --force)` : ''}: ${r.count} ${kind}, ${r.created} created, ${r.updated} updated, ${r.unchanged} unchanged` +
          (kind === 'findings'
            ? `, ${r.resolved_again} reopened, ${r.merged} repeats merged; ${r.resolved} resolved (no longer reported), ${r.assets_created} new assets, ${r.vulnerabilities_created} new vulnerabilities, ${r.unmatched_targets} targets not in the inventory`
            : '') +
          (r.unknown_references.assets + r.unknown_references.vulnerabilities > 0 ? `; unknown references: ${r.unknown_references.assets} assets, ${r.unknown_references.vulnerabilities} vulnerabilities` : '') +
          (Object.keys(r.skipped).length > 0 ? `; skipped: ${Object.entries(r.skipped).map(([why, n]) => `${n} ${why}`).join(', ')}` : '') +
          (r.triage !== null
            ? `\ntriage run ${r.triage.run} (ruleset ${r.triage.ruleset}): ${r.triage.evaluated} decided, ${r.triage.by_outcome.escalate ?? 0} escalate, ${r.triage.by_outcome.stay ?? 0} stay${Object.keys(r.triage.by_trigger).length ? ` (${Object.entries(r.triage.by_trigger).map(([t, n]) => `${t} ${n}`).join(', ')})` : ''}`
            : ''),
    );
  });
}
