import { addPerson } from '../../app/admin.js';
import { list } from '../options.js';
import type { Program } from '../program.js';
import { registerPasswd } from './people-sign-in.js';
import { acts, type CliRun } from '../session.js';

/** `closeloop people`: the people directory. */
export function registerPeople(program: Program, run: CliRun): void {
  const people = program.command('people').description('the people directory: who holds which roles');
  const add = people
    .command('add <name>')
    .description('add a person, or replace their roles (admin only)')
    .requiredOption('--roles <roles>', 'comma-separated roles, e.g. ir_lead,service_owner', list);
  acts(run, add, async ({ s, ctx, caller }, opts, name) => {
    const r = await addPerson(ctx, caller, { name, roles: opts.roles });
    s.print({ id: r.name, ...r }, () => `${r.name}: ${r.roles.join(', ')}`);
  });
  registerPasswd(people, run);
}
