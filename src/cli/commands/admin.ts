import { createToken, verifyAudit } from '../../app/admin.js';
import { EXIT } from '../output.js';
import type { Program } from '../program.js';
import { acts, type CliRun } from '../session.js';

/** `closeloop token create` (API tokens) and `closeloop audit verify` (the audit chain). */
export function registerAdmin(program: Program, run: CliRun): void {
  const token = program.command('token').description('API tokens');
  const create = token.command('create').description('create an API token for a person (printed once, stored hashed)').requiredOption('--actor <name>', 'the person the token acts as').option('--label <text>', 'what it is for');
  acts(run, create, async ({ s, ctx, caller }, opts) => {
    const t = await createToken(ctx, caller, { actor: opts.actor, label: opts.label });
    s.print(t, () => `${t.token}\n(token ${t.id} for ${t.actor}; it is shown only now: store it safely)`);
  });

  const audit = program.command('audit').description('the tamper-evident audit chain');
  const verify = audit.command('verify').description('recompute the hash chain; exit 1 naming the first bad sequence number');
  acts(run, verify, async ({ s, ctx, caller }) => {
    const r = await verifyAudit(ctx, caller);
    s.print(r, () => (r.ok ? `audit chain intact: ${r.events} events, head ${r.headHash}` : `audit chain BROKEN at seq ${r.firstBad ?? '?'}: ${r.problem ?? ''}`));
    return r.ok ? undefined : EXIT.failure;
  });
}
