/**
 * The dispatch use case: drain the outbox once. `closeloop deliver` and `POST /delivery/run` run
 * it as a person; the server's background loop runs it as the system (DISPATCHER).
 */
import type { Channel, DeliveryProof } from '../delivery/channel.js';
import { defaultChannels } from '../delivery/channels.js';
import type { Notification } from '../store/schema.js';
import { afterAttempt, claimNotification, dueNotifications, noteWaiting, recordAttempt, type AttemptOutcome } from '../delivery/outbox.js';
import { audit, inTransaction, isoNow, type AppContext, type Caller } from './context.js';
import { authorizeCaller, DISPATCHER } from './system-caller.js';
import { recordTicket } from './tickets.js';

export interface DispatchSummary {
  delivered: number;
  failed: number;
  retrying: number;
  no_channel: number;
}

export interface RunDeliveryOptions {
  /** At most this many messages a pass (default 500). */
  limit?: number;
  /** The channels to deliver through (default: those of this process, see defaultChannels). */
  channels?: Record<string, Channel>;
}

/** How long a claimed message is reserved for the dispatcher attempting it. */
const LEASE_MS = 5 * 60_000;

/**
 * Drains the outbox once, if the caller may run delivery: every queued notification whose time has
 * come is claimed and attempted; each attempt is recorded with its outcome, and the notification's
 * new state is audited by the dispatcher (whoever started the pass). A failure is retried with
 * exponential backoff up to `delivery.max_attempts`, then marked `failed`.
 */
export async function runDelivery(ctx: AppContext, caller: Caller, opts: RunDeliveryOptions = {}): Promise<DispatchSummary> {
  authorizeCaller(ctx, caller, 'delivery.run');
  const channels = opts.channels ?? defaultChannels(ctx.configPath);
  const due = await dueNotifications(ctx.store.db, isoNow(ctx), opts.limit ?? 500);
  const summary: DispatchSummary = { delivered: 0, failed: 0, retrying: 0, no_channel: 0 };
  for (const candidate of due) {
    const channel = channels[candidate.channel];
    if (!channel) {
      summary.no_channel += 1;
      await noteWaiting(ctx.store.db, candidate, `no channel: ${candidate.channel} delivery is not configured in this process`);
      continue;
    }
    const lease = new Date(ctx.now().getTime() + LEASE_MS).toISOString();
    if (!(await claimNotification(ctx.store.db, candidate, lease))) continue;
    const n: Notification = { ...candidate, status: 'queued' };
    let outcome: AttemptOutcome;
    let proof: DeliveryProof | null = null;
    try {
      const r = await channel.deliver({ notification: n, event: null });
      proof = r;
      outcome = { ok: true, messageId: r.messageId };
    } catch (err) {
      outcome = { ok: false, error: err instanceof Error ? err.message : String(err) };
    }
    await inTransaction(ctx, async (trx) => {
      const now = ctx.now();
      const next = afterAttempt(n, outcome, now, ctx.config.delivery);
      if (next.status === 'delivered') summary.delivered += 1;
      else if (next.status === 'failed') summary.failed += 1;
      else summary.retrying += 1;
      await recordAttempt(trx, next, outcome, now.toISOString());
      if (proof !== null) await recordTicket(trx, ctx, n, proof);
      await audit(trx, ctx, DISPATCHER, { action: `notification.${next.status === 'queued' ? 'retry' : next.status}`, entityType: 'notification', entityId: n.id, incidentId: n.incident_id, state: next });
    });
  }
  return summary;
}
