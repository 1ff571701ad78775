import { writeFileSync } from 'node:fs';
import { verifyAudit } from '../../app/admin.js';
import { checkpointList, createCheckpoint, proveConsistency, proveEvent } from '../../app/audit-checkpoints.js';
import { initKeys, signingPublicKey } from '../../app/keys.js';
import { EXIT, table } from '../output.js';
import type { Program } from '../program.js';
import { acts, runs, type CliRun } from '../session.js';

/** `closeloop audit verify|checkpoint|checkpoints|prove|consistency` and `closeloop keys init|export`. */
export function registerAudit(program: Program, run: CliRun): void {
  const audit = program
    .command('audit')
    .description('the tamper-evident audit log: hash chain, signed checkpoints, proofs')
    .addHelpText(
      'after',
      [
        '',
        'Every event is hashed into a chain and, with a signing key (`closeloop keys init`), signed; a',
        'checkpoint (the RFC 9162 Merkle root of the log, signed) is made every audit.checkpoint_every',
        'events and on demand, and sent to the witness (audit.witness).',
        '',
        'Examples:',
        '  closeloop audit verify --by grc',
        '  closeloop audit verify --witness /mnt/other/closeloop-witness.jsonl --by grc',
        '  closeloop audit checkpoint --by grc',
        '  closeloop audit checkpoints --json --by grc',
        '  closeloop audit prove 42 --json --by grc > proof.json',
        '  closeloop audit consistency 1000 2000 --json --by grc',
      ].join('\n'),
    );

  const verify = audit
    .command('verify')
    .description('recompute the hash chain, check every signed checkpoint, the signatures after the latest and the witness, and every record against its latest audit event; exit 1 naming each problem')
    .option('--witness <file>', 'a witness file to check the store against (default: audit.witness.file)')
    .addHelpText('after', '\nExamples:\n  closeloop audit verify --by grc\n  closeloop audit verify --witness /mnt/backup/witness.jsonl --json --by auditor');
  acts(run, verify, async ({ s, ctx, caller }, opts) => {
    const r = await verifyAudit(ctx, caller, opts.witness !== undefined ? { witnessFile: s.path(opts.witness) } : {});
    s.print(r, () => {
      const c = r.checkpoints;
      const lines = [r.problem === null ? `audit chain intact: ${r.events} events, head ${r.headHash}` : `audit chain BROKEN at seq ${r.firstBad ?? '?'}: ${r.problem}`];
      lines.push(c.latest === null ? 'no signed checkpoint' : `${c.checkpoints} signed checkpoints, latest ${c.latest.tree_size} (${c.latest.at}); ${c.events_after_latest} events after it`);
      if (c.witness !== null) lines.push(`witness ${c.witness.file}: ${c.witness.checkpoints} checkpoints`);
      for (const p of c.problems) lines.push(`PROBLEM: ${p.problem}`);
      if (c.more_problems > 0) lines.push(`… and ${c.more_problems} more problems (--json lists the first ${c.problems.length})`);
      const e = r.entities;
      if (e.ok) lines.push(`records match the audit chain: ${e.checked} checked`);
      else lines.push(`records NOT matching the audit chain: ${e.problems.length} of ${e.checked} checked`, ...e.problems.map((p) => `  ${p.entity_type} ${p.entity_id}: ${p.problem}`));
      lines.push(r.ok ? 'audit log verified' : 'audit log NOT verified');
      return lines.join('\n');
    });
    return r.ok ? undefined : EXIT.failure;
  });

  const checkpoint = audit
    .command('checkpoint')
    .description('sign a checkpoint of the whole log now (and send it to the witness)')
    .addHelpText('after', '\nExamples:\n  closeloop audit checkpoint --by grc\n  closeloop audit checkpoint --json --by lead');
  acts(run, checkpoint, async ({ s, ctx, caller }) => {
    const c = await createCheckpoint(ctx, caller);
    s.print(c, () => `checkpoint ${c.tree_size} signed by key ${c.key_id} at ${c.at}\nroot ${c.root_hash}`);
  });

  const list = audit
    .command('checkpoints')
    .description('list the signed checkpoints: tree size, time, key id, root')
    .addHelpText('after', '\nExamples:\n  closeloop audit checkpoints --by auditor\n  closeloop audit checkpoints --json --by auditor');
  acts(run, list, async ({ s, ctx, caller }) => {
    const r = await checkpointList(ctx, caller);
    s.print(r, () => (r.checkpoints.length === 0 ? 'no checkpoints' : table(['SIZE', 'AT', 'KEY', 'ROOT'], r.checkpoints.map((c) => [String(c.tree_size), c.at, c.key_id, c.root_hash]))));
  });

  const prove = audit
    .command('prove')
    .description('the inclusion proof (hex) of event SEQ in a signed checkpoint, for a third party to check')
    .argument('<seq>', 'the event sequence number')
    .option('--checkpoint <size>', 'the checkpoint (tree size) to prove against; default the first that covers the event')
    .addHelpText('after', '\nThe proof holds the event hash (leaf), the audit path and the signed checkpoint; check it with\nthe public key of `closeloop keys export` (RFC 9162 §2.1.3.2).\n\nExamples:\n  closeloop audit prove 42 --json --by auditor\n  closeloop audit prove 42 --checkpoint 2000 --json --by auditor');
  acts(run, prove, async ({ s, ctx, caller }, opts, seq) => {
    const p = await proveEvent(ctx, caller, { seq, ...(opts.checkpoint !== undefined ? { checkpoint: opts.checkpoint } : {}) });
    s.print(p, () => [`event ${p.seq} (hash ${p.leaf}) in checkpoint ${p.tree_size} (${p.checkpoint.at}, key ${p.checkpoint.key_id})`, `root ${p.checkpoint.root_hash}`, `signature ${p.checkpoint.signature}`, 'path:', ...p.path.map((h) => `  ${h}`)].join('\n'));
  });

  const consistency = audit
    .command('consistency')
    .description('the consistency proof (hex) that checkpoint TO extends checkpoint FROM')
    .argument('<from>', 'the smaller checkpoint (tree size)')
    .argument('<to>', 'the larger checkpoint (tree size)')
    .addHelpText('after', '\nChecked with RFC 9162 §2.1.4.2 and both checkpoints\' signatures.\n\nExamples:\n  closeloop audit consistency 1000 2000 --json --by auditor');
  acts(run, consistency, async ({ s, ctx, caller }, _opts, from, to) => {
    const p = await proveConsistency(ctx, caller, { from, to });
    s.print(p, () => [`checkpoint ${p.to.tree_size} (${p.to.at}) extends checkpoint ${p.from.tree_size} (${p.from.at})`, `from root ${p.from.root_hash}`, `to root ${p.to.root_hash}`, 'path:', ...p.path.map((h) => `  ${h}`)].join('\n'));
  });

  const keys = program
    .command('keys')
    .description('the audit signing key (Ed25519): make, rotate, export the public key')
    .addHelpText('after', '\nThe private key stays in a file (mode 0600) named by audit.signing_key, never in the store.\nKeep a copy of the public key somewhere the store\'s administrators cannot write.\n\nExamples:\n  closeloop keys init --by alice\n  closeloop keys init --rotate --by alice\n  closeloop keys export -o audit-signing.pub.pem');

  const init = keys
    .command('init')
    .description('make an Ed25519 key pair, set audit.signing_key in closeloop.yaml, and sign a first checkpoint of the whole log (admin)')
    .option('--out <file>', 'the private key file (default keys/audit-signing.pem beside closeloop.yaml); the public key goes beside it as .pub.pem')
    .option('--rotate', 'replace the configured key; its public key moves to audit.trusted_keys')
    .addHelpText('after', '\nExamples:\n  closeloop keys init --by alice\n  closeloop keys init --out /etc/closeloop/audit-signing.pem --by alice\n  closeloop keys init --rotate --by alice');
  acts(run, init, async ({ s, ctx, caller }, opts) => {
    const r = await initKeys(ctx, caller, { ...(opts.out !== undefined ? { out: s.path(opts.out) } : {}), rotate: opts.rotate === true });
    s.print(r, () =>
      [
        `key ${r.key_id}${r.previous_key_id === null ? '' : ` (replaces ${r.previous_key_id}, still trusted)`}`,
        `private key: ${r.private_key_file} (mode 0600; back it up, never share it)`,
        `public key: ${r.public_key_file} (keep a copy elsewhere: verifiers need it)`,
        `first checkpoint: ${r.checkpoint.tree_size} events, root ${r.checkpoint.root_hash}`,
        '',
        r.public_key.trimEnd(),
      ].join('\n'),
    );
  });

  const exp = keys
    .command('export')
    .description('print the public key of the configured signing key (PEM), or write it to a file')
    .option('-o, --output <file>', 'write the public key to this file')
    .addHelpText('after', '\nExamples:\n  closeloop keys export\n  closeloop keys export -o audit-signing.pub.pem');
  runs(run, exp, async (s, opts) => {
    const ctx = await s.open();
    const k = signingPublicKey(ctx);
    if (opts.output !== undefined) writeFileSync(s.path(opts.output), k.public_key);
    s.print({ ...k, ...(opts.output !== undefined ? { file: opts.output } : {}) }, () => (opts.output !== undefined ? `public key of ${k.key_id} written to ${opts.output}` : k.public_key.trimEnd()));
  });
}
