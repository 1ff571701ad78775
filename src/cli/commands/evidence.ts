import { readFileSync } from 'node:fs';
import { exportEvidence, verifyEvidenceFile, type ExportEvidenceInput } from '../../app/evidence.js';
import { ClError } from '../../errors.js';
import { EXIT } from '../output.js';
import type { Program } from '../program.js';
import { acts, runs, type CliRun } from '../session.js';

const number = (option: string) => (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new ClError('CL_BAD_INPUT', `${option}: ${JSON.stringify(value)} is not a positive whole number`, { field: option });
  return n;
};

/** `closeloop evidence export|verify`: signed, reproducible evidence bundles and their offline check. */
export function registerEvidence(program: Program, run: CliRun): void {
  const evidence = program.command('evidence').description('evidence bundles for assessors: export an incident (or a seeded sample) as a signed zip, and verify one offline');

  const exp = evidence
    .command('export [incident]')
    .description('write the evidence bundle of an incident, or of a reproducible sample of the incidents opened in a period: every record, the audit events with inclusion proofs to a signed checkpoint, a signed manifest and an index.html (ir_lead, grc_contact, auditor, admin)')
    .option('-o, --output <file>', 'the zip to write (0600); an existing file is replaced')
    .option('--to-evidence-location', "write to the control card's evidence_location: <INC-ID>.zip, or sample-<from>-<to>-<seed>.zip")
    .option('--sample <n>', 'sample N incidents instead of naming one (with --from, --to, --seed)')
    .option('--from <date>', 'first day of the sampled period (YYYY-MM-DD), by the day an incident was opened')
    .option('--to <date>', 'last day of the sampled period (YYYY-MM-DD), inclusive')
    .option('--seed <seed>', 'the sample seed: the same seed over the same period picks the same incidents')
    .option('--stratify <field>', 'draw the sample in proportion to each stratum: severity')
    .option('--checkpoint <size>', 'prove against the signed checkpoint of this tree size (default: the latest)')
    .addHelpText(
      'after',
      `
The bundle is byte-reproducible: exported twice against the same checkpoint it is the same file.
An incident with audit events after the checkpoint is refused (exit 3): run \`closeloop audit
checkpoint\` first. The manifest is signed with audit.signing_key (\`closeloop keys init\`).

Examples:
  closeloop evidence export INC-2026-0001 -o INC-2026-0001.zip --by grace
  closeloop evidence export --sample 5 --from 2026-01-01 --to 2026-03-31 --seed q1-review --stratify severity -o q1.zip --by grace
  closeloop evidence export INC-2026-0001 --to-evidence-location --by grace`,
    );
  acts(run, exp, async ({ s, ctx, caller }, opts, incident) => {
    if (opts.output === undefined && opts.toEvidenceLocation !== true) throw new ClError('CL_BAD_INPUT', 'where to? pass -o FILE.zip or --to-evidence-location', { field: '--output' });
    if (opts.output !== undefined && opts.toEvidenceLocation === true) throw new ClError('CL_BAD_INPUT', 'pass -o FILE.zip or --to-evidence-location, not both', { field: '--output' });
    const sampled = opts.sample !== undefined || opts.from !== undefined || opts.to !== undefined || opts.seed !== undefined;
    const input: ExportEvidenceInput = {
      ...(incident === undefined ? {} : { incident }),
      ...(sampled
        ? {
            sample: {
              n: opts.sample === undefined ? Number.NaN : number('--sample')(opts.sample),
              from: opts.from ?? '',
              to: opts.to ?? '',
              seed: opts.seed ?? '',
              ...(opts.stratify === undefined ? {} : { stratify: opts.stratify as 'severity' }),
            },
          }
        : {}),
      ...(opts.checkpoint === undefined ? {} : { checkpoint: number('--checkpoint')(opts.checkpoint) }),
    };
    const r = await exportEvidence(ctx, caller, input, opts.output === undefined ? { toEvidenceLocation: true } : { file: s.path(opts.output) });
    const { bytes: _bytes, ...out } = r;
    s.print({ ...out, bytes: r.bytes.length }, () => `${r.file ?? r.name}: evidence of ${r.incidents.join(', ')} (${r.bytes.length} bytes, sha256 ${r.sha256}), proven against checkpoint ${r.checkpoint.tree_size}`);
  });

  const verify = evidence
    .command('verify <file>')
    .description('check a bundle offline (no database, no configuration): the manifest signature, every file digest, the checkpoint signature and every inclusion proof; exit 1 naming each file that fails')
    .option('--pubkey <file>', "the signer's PEM public key, pinned (otherwise the key inside the bundle is used)")
    .addHelpText('after', '\nExit codes: 0 verified, 1 a file is changed, added or removed, or a signature or proof fails, 2 not a bundle or unreadable.\n\nExample:\n  closeloop evidence verify INC-2026-0001.zip --pubkey closeloop-public-key.pem');
  runs(run, verify, async (s, opts, file) => {
    let publicKeyPem: string | undefined;
    if (opts.pubkey !== undefined) {
      try {
        publicKeyPem = readFileSync(s.path(opts.pubkey), 'utf8');
      } catch (err) {
        throw new ClError('CL_BAD_INPUT', `--pubkey ${opts.pubkey}: cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}); give the PEM public key file`, { field: '--pubkey', file: opts.pubkey });
      }
    }
    const v = verifyEvidenceFile(s.path(file), publicKeyPem === undefined ? {} : { publicKeyPem });
    s.print({ file, ...v }, () =>
      v.ok
        ? `${file}: verified: ${v.incidentIds.join(', ')}; ${v.files} files, ${v.events} audit events proven against checkpoint ${v.checkpoint?.tree_size ?? ''} (root ${v.checkpoint?.root_hash ?? ''}); signed by key ${v.keyId ?? ''}${v.keySource === 'pinned' ? ' (pinned)' : ' (the key in the bundle: pin it with --pubkey)'}`
        : `${file}: NOT verified (${v.problems.length} problem${v.problems.length === 1 ? '' : 's'}):\n${v.problems.map((p) => `  ${p}`).join('\n')}`,
    );
    return v.ok ? EXIT.ok : EXIT.failure;
  });
}
