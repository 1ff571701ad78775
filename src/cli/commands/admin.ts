import { createToken, listTokens, revokeToken } from '../../app/admin.js';
import { table } from '../output.js';
import type { Program } from '../program.js';
import { acts, type CliRun } from '../session.js';

/** `closeloop token create|list|revoke` (API tokens). */
export function registerAdmin(program: Program, run: CliRun): void {
  const token = program
    .command('token')
    .description('API tokens: a bearer token acts for one person of the directory (admin only)')
    .addHelpText(
      'after',
      [
        '',
        'A token is printed once, when it is created; the store keeps only its SHA-256.',
        'It stops working when revoked, when it expires, or when its person is removed.',
        '',
        'Examples:',
        '  closeloop token create --actor bob --label "CI pipeline" --expires 90d --by alice',
        '  closeloop token list --actor bob',
        '  closeloop token revoke TK-0003 --by alice',
      ].join('\n'),
    );
  const create = token
    .command('create')
    .description('create an API token for a person (printed once, stored hashed)')
    .requiredOption('--actor <name>', 'the person the token acts as')
    .option('--label <text>', 'what it is for')
    .option('--expires <when>', 'when it stops working: a number of days (90d) or the last day it works (2027-01-31); default never')
    .addHelpText('after', '\nExamples:\n  closeloop token create --actor bob --label laptop --expires 90d --by alice\n  closeloop token create --actor ci-bot --expires 2027-01-31 --json --by alice');
  acts(run, create, async ({ s, ctx, caller }, opts) => {
    const t = await createToken(ctx, caller, { actor: opts.actor, label: opts.label, expires: opts.expires });
    s.print(t, () => `${t.token}\n(token ${t.id} for ${t.actor}${t.expires_at === null ? '' : `, expires ${t.expires_at}`}; it is shown only now: store it safely)`);
  });

  const ls = token
    .command('list')
    .description('list API tokens: id, actor, label, created, expires, last used (at most a minute late), revoked; never the token')
    .option('--actor <name>', "only this person's tokens")
    .addHelpText('after', '\nExamples:\n  closeloop token list\n  closeloop token list --actor bob --json');
  acts(run, ls, async ({ s, ctx, caller }, opts) => {
    const tokens = await listTokens(ctx, caller, { actor: opts.actor });
    s.print({ tokens }, () =>
      tokens.length === 0
        ? 'no tokens'
        : table(
            ['ID', 'ACTOR', 'LABEL', 'CREATED', 'EXPIRES', 'LAST USED', 'REVOKED'],
            tokens.map((t) => [t.id, t.actor, t.label ?? '', t.created_at, t.expires_at ?? 'never', t.last_used_at ?? 'never', t.revoked_at ?? '']),
          ),
    );
  });

  const revoke = token
    .command('revoke <id>')
    .description('revoke an API token: it is refused from the next request on')
    .addHelpText('after', '\nExample:\n  closeloop token revoke TK-0003 --by alice');
  acts(run, revoke, async ({ s, ctx, caller }, _opts, id) => {
    const t = await revokeToken(ctx, caller, { id });
    s.print(t, () => `token ${t.id} of ${t.actor} revoked`);
  });
}
