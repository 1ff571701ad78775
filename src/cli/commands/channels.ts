import { testChannels } from '../../app/test-channels.js';
import type { Program } from '../program.js';
import { acts, type CliRun } from '../session.js';

/** `closeloop channels test ROLE`: a test message over each of a role's routes, and each answer. */
export function registerChannels(program: Program, run: CliRun): void {
  const channels = program.command('channels').description('delivery channels (email, webhook, slack, teams, file)');
  const test = channels
    .command('test')
    .description("send a test message over each of ROLE's routes and print what each receiver answered (exit 1 when one failed)")
    .argument('<role>', 'the role whose routes to test, e.g. service_owner')
    .option('--service <name>', "test the routes this service's override gives the role");
  acts(run, test, async ({ s, ctx, caller }, opts, role) => {
    const r = await testChannels(ctx, caller, { role, ...(opts.service === undefined ? {} : { service: opts.service }) });
    s.print(r, () =>
      r.results
        .map((x) => {
          const route = `${x.channel} ${x.address}`;
          if (x.ok) return `${route}: delivered${x.status === undefined ? '' : ` (${x.status})`}${x.response === undefined ? '' : `: ${x.response}`} [${x.messageId ?? ''}]`;
          return `${route}: FAILED${x.retryable === false ? ' (refused for good)' : ' (would be retried)'}: ${x.error ?? ''}`;
        })
        .join('\n'),
    );
    return r.results.every((x) => x.ok) ? 0 : 1;
  });
}
