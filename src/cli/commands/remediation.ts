import { addRemediation, moveRemediation } from '../../app/followthrough.js';
import type { RemediationState } from '../../domain/incident.js';
import { checkedByUseCase } from '../options.js';
import type { Program } from '../program.js';
import { acts, type CliRun } from '../session.js';

/** `closeloop remediation`: remediation items for weaknesses. */
export function registerRemediation(program: Program, run: CliRun): void {
  const remediation = program.command('remediation').description('remediation items for weaknesses');

  const add = remediation
    .command('add <weakness>')
    .description('open a remediation item (due date defaults from the SLA policy)')
    .requiredOption('--owner-role <role>', 'owning role')
    .requiredOption('--assignee <name>', 'who does the work')
    .requiredOption('--criteria <text>', 'closure criteria')
    .option('--due <date>', 'due date YYYY-MM-DD')
    .option('--ticket <key>', 'external ticket reference');
  acts(run, add, async ({ s, ctx, caller }, opts, weakness) => {
    const r = await addRemediation(ctx, caller, { weakness, owner_role: opts.ownerRole, assignee: opts.assignee, criteria: opts.criteria, due: opts.due, ticket: opts.ticket });
    s.print(r, () => `opened ${r.id} for ${r.weakness_id}, due ${r.due ?? '-'}`);
  });

  const move = remediation.command('move <item> <state>').description('move a remediation item: open → in_progress → resolved → verified');
  acts(run, move, async ({ s, ctx, caller }, _opts, item, state) => {
    const r = await moveRemediation(ctx, caller, { item, state: checkedByUseCase<RemediationState>(state) });
    s.print(r, () => `${r.id} is now ${r.status}`);
  });
}
