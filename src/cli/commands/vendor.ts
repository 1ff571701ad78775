import { chaseVendor, notifyVendor, recordVendorResponse } from '../../app/followthrough.js';
import type { Program } from '../program.js';
import { acts, type CliRun } from '../session.js';

/** `closeloop vendor`: third-party notices for vendor-owned weaknesses. */
export function registerVendor(program: Program, run: CliRun): void {
  const vendor = program.command('vendor').description('third-party notices for vendor-owned weaknesses');

  const notify = vendor.command('notify <weakness>').description('record the notice sent to the vendor').requiredOption('--channel <channel>', 'the contract channel used').option('--tracking-item <ref>', 'internal tracking item');
  acts(run, notify, async ({ s, ctx, caller }, opts, weakness) => {
    const n = await notifyVendor(ctx, caller, { weakness, channel: opts.channel, tracking_item: opts.trackingItem });
    s.print(n, () => `${n.id}: ${n.vendor} notified via ${n.channel ?? ''}`);
  });

  const response = vendor.command('response <notice>').description("record the vendor's response / RCA statement").requiredOption('--text <text>', 'the response');
  acts(run, response, async ({ s, ctx, caller }, opts, notice) => {
    const n = await recordVendorResponse(ctx, caller, { notice, text: opts.text });
    s.print(n, () => `${n.id}: response from ${n.vendor} recorded`);
  });

  const chase = vendor.command('chase <notice>').description('record that an unanswered notice was chased');
  acts(run, chase, async ({ s, ctx, caller }, _opts, notice) => {
    const n = await chaseVendor(ctx, caller, { notice });
    s.print(n, () => `${n.id}: chased ${n.vendor}`);
  });
}
