import { decideRisk, requestRisk } from '../../app/followthrough.js';
import type { Program } from '../program.js';
import { acts, type CliRun } from '../session.js';

/** `closeloop risk`: risk acceptances, the exception path. */
export function registerRisk(program: Program, run: CliRun): void {
  const risk = program.command('risk').description('risk acceptances (the exception path)');

  const request = risk
    .command('request <weakness>')
    .description('request a risk acceptance for a weakness')
    .requiredOption('--rationale <text>', 'why remediation is deferred')
    .requiredOption('--controls <text>', 'compensating controls')
    .requiredOption('--review-by <date>', 'review date YYYY-MM-DD (the acceptance expires then)');
  acts(run, request, async ({ s, ctx, caller }, opts, weakness) => {
    const r = await requestRisk(ctx, caller, { weakness, rationale: opts.rationale, controls: opts.controls, review_by: opts.reviewBy });
    s.print(r, () => `requested ${r.id} for ${r.weakness_id}, review by ${r.review_by}`);
  });

  const approve = risk.command('approve <risk>').description('approve (approver role required; never the requester)');
  acts(run, approve, async ({ s, ctx, caller }, _opts, id) => {
    const r = await decideRisk(ctx, caller, { risk: id, approve: true });
    s.print(r, () => `${r.id} approved by ${r.approver ?? ''} until ${r.review_by}`);
  });

  const reject = risk.command('reject <risk>').description('reject a requested risk acceptance').requiredOption('--reason <text>', 'why');
  acts(run, reject, async ({ s, ctx, caller }, opts, id) => {
    const r = await decideRisk(ctx, caller, { risk: id, approve: false, reason: opts.reason });
    s.print(r, () => `${r.id} rejected by ${r.approver ?? ''}`);
  });
}
