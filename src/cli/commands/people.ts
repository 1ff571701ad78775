import { addPerson, listPeople, removePerson, setRoles, type Person } from '../../app/people.js';
import { list } from '../options.js';
import { table } from '../output.js';
import type { Program } from '../program.js';
import { registerPasswd } from './people-sign-in.js';
import { acts, type CliRun } from '../session.js';

const line = (p: Person): string => `${p.name}: ${p.roles.join(', ')}${p.removed_at === null ? '' : ` (removed ${p.removed_at})`}`;

/** `closeloop people`: the people directory (in the store; a running server sees a change at its next request). */
export function registerPeople(program: Program, run: CliRun): void {
  const people = program
    .command('people')
    .description('the people directory: who holds which roles (admin only, but list)')
    .addHelpText(
      'after',
      [
        '',
        'The directory is in the store: a change counts at once, for this command line and every running server.',
        'Roles are those of the policy and of closeloop.yaml (control card, routing, third-party roles), plus admin.',
        '',
        'Examples:',
        '  closeloop people list',
        '  closeloop people add bob --roles ir_lead,service_owner --by alice',
        '  closeloop people roles bob --roles ir_lead --by alice',
        '  closeloop people remove bob --by alice',
      ].join('\n'),
    );

  const ls = people
    .command('list')
    .description('list the people and their roles (admin, grc_contact, auditor)')
    .option('--all', 'removed people too')
    .addHelpText('after', '\nExamples:\n  closeloop people list\n  closeloop people list --all --json');
  acts(run, ls, async ({ s, ctx, caller }, opts) => {
    const all = await listPeople(ctx, caller, { include_removed: opts.all === true });
    s.print({ people: all }, () =>
      all.length === 0 ? 'nobody' : table(['NAME', 'ROLES', 'ADDED', 'REMOVED'], all.map((p) => [p.name, p.roles.join(','), p.created_at, p.removed_at ?? ''])),
    );
  });

  const add = people
    .command('add <name>')
    .description('add a person with their roles (someone already there: use `people roles`; a removed person is added back)')
    .requiredOption('--roles <roles>', 'comma-separated roles, e.g. ir_lead,service_owner', list)
    .addHelpText('after', '\nExamples:\n  closeloop people add bob --roles ir_lead --by alice\n  closeloop people add carol --roles vuln_mgmt_owner,risk_approver --by alice --json');
  acts(run, add, async ({ s, ctx, caller }, opts, name) => {
    const p = await addPerson(ctx, caller, { name, roles: opts.roles });
    s.print({ id: p.name, ...p }, () => line(p));
  });

  const roles = people
    .command('roles <name>')
    .description("replace a person's roles (the last admin keeps admin)")
    .requiredOption('--roles <roles>', 'the complete new list, comma-separated, e.g. ir_lead,risk_approver', list)
    .addHelpText('after', '\nExample:\n  closeloop people roles bob --roles ir_lead,risk_approver --by alice');
  acts(run, roles, async ({ s, ctx, caller }, opts, name) => {
    const p = await setRoles(ctx, caller, { name, roles: opts.roles });
    s.print({ id: p.name, ...p }, () => line(p));
  });

  const remove = people
    .command('remove <name>')
    .description('remove a person: they can no longer act and their API tokens are revoked; their name stays in the audit log')
    .addHelpText('after', '\nExample:\n  closeloop people remove bob --by alice\n\nNobody removes themselves, and the last admin stays. `people add` brings a removed person back.');
  acts(run, remove, async ({ s, ctx, caller }, _opts, name) => {
    const p = await removePerson(ctx, caller, { name });
    s.print({ id: p.name, ...p }, () => `${p.name} removed${p.tokens_revoked.length > 0 ? `; tokens revoked: ${p.tokens_revoked.join(', ')}` : ''}`);
  });
  registerPasswd(people, run);
}
