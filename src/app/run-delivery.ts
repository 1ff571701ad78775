/**
 * The dispatch use case: drain the outbox once. `closeloop deliver` and `POST /delivery/run` run
 * it as a person; the server's background loop runs it as the system (DISPATCHER).
 */
import { ChannelError, type Channel, type DeliveryEvent, type DeliveryProof, type OutboundMessage } from '../delivery/channel.js';
import { defaultChannels } from '../delivery/channels/index.js';
import type { Notification, NotificationPurpose, ThirdPartyNotice } from '../store/schema.js';
import { afterAttempt, claimNotification, dueNotifications, eventOf, noteWaiting, recordAttempt, type AttemptOutcome } from '../delivery/outbox.js';
import { findThirdPartyNotice, updateThirdPartyNotice } from '../store/repositories/third-party-notices.js';
import { ackLink } from './ack-links.js';
import { audit, inTransaction, isoNow, type AppContext, type Caller, type Trx } from './context.js';
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
  /** Only these messages (those due among them), e.g. the ones a `channels test` just queued. */
  only?: readonly string[];
  /** The channels to deliver through (default: the context's, else `file` alone, see defaultChannels). */
  channels?: Record<string, Channel>;
}

/** How long a claimed message is reserved for the dispatcher attempting it. */
export const LEASE_MS = 5 * 60_000;

/**
 * What a delivered message of one purpose does besides being delivered, in the transaction that
 * records the delivery (so it happens exactly when the delivery is recorded): a ticket message
 * stores the created ticket's key on its remediation item, for one. Keyed by purpose.
 */
export type DeliveredHook = (trx: Trx, ctx: AppContext, n: Notification, proof: DeliveryProof) => Promise<void>;

export const ON_DELIVERED: Partial<Record<NotificationPurpose, DeliveredHook>> = {
  vendor_notice: markVendorNotified,
  // a ticket the message opened (or found) is recorded with its item or incident (app/tickets.ts)
  ticket: recordTicket,
  reportout: recordTicket,
};

/**
 * A vendor notice's message was delivered: its notice (`subject_ref`) is sent, through the
 * message's channel and address, audited by the dispatcher. A notice already sent (by hand, or by
 * another of its routes) stays as it is.
 */
async function markVendorNotified(trx: Trx, ctx: AppContext, n: Notification): Promise<void> {
  const notice = n.subject_ref === null ? undefined : await findThirdPartyNotice(trx, n.subject_ref);
  if (notice === undefined || notice.sent_at !== null) return;
  const at = isoNow(ctx);
  const next: ThirdPartyNotice = { ...notice, status: 'sent', sent_at: at, channel: `${n.channel}:${n.address}` };
  await updateThirdPartyNotice(trx, notice.id, { status: next.status, sent_at: at, channel: next.channel });
  await audit(trx, ctx, DISPATCHER, { action: 'third_party_notice.sent', entityType: 'third_party_notice', entityId: notice.id, incidentId: notice.incident_id, state: next });
}

/** The event types whose message asks its role to acknowledge the report-out (and so carries the link). */
const ASKS_FOR_ACK = new Set(['reportout.sent', 'ack.reminder']);

/**
 * The message as it leaves: a message asking for an acknowledgment gets its one-click link now
 * (signed at hand-off, never stored; see ack-links.ts), in the event and at the end of the body.
 */
function outbound(ctx: AppContext, n: Notification): OutboundMessage {
  const event = eventOf(n);
  // a subscribed integration is told of the event; it does not acknowledge for a role
  if (event === null || n.incident_id === null || n.purpose === 'subscription' || event.revision === undefined || !ASKS_FOR_ACK.has(event.type)) return { notification: n, event };
  const link = ackLink(ctx, { incident: n.incident_id, role: n.role, revision: event.revision });
  if (link === undefined) return { notification: n, event };
  const withLink: DeliveryEvent = { ...event, links: { ...event.links, ack: link } };
  return { notification: { ...n, body: `${n.body}\n\nAcknowledge with one click: ${link}` }, event: withLink };
}

/** The outcome of handing one message to its channel: its proof, or the error (see ChannelError). */
async function attempt(channel: Channel, m: OutboundMessage): Promise<AttemptOutcome> {
  try {
    return { ok: true, proof: await channel.deliver(m) };
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    if (err instanceof ChannelError) return { ok: false, error, retryable: err.retryable, ...(err.status === undefined ? {} : { status: err.status }) };
    return { ok: false, error, retryable: true };
  }
}

/**
 * Drains the outbox once, if the caller may run delivery: every queued notification whose time has
 * come is claimed and attempted; each attempt is recorded with its outcome (channel, response code,
 * the receiver's answer or the error), and the notification's new state is audited by the
 * dispatcher. A failure is retried with exponential backoff and jitter up to
 * `delivery.max_attempts`, then marked `failed` (the dead letter); a receiver that refused the
 * message for good (ChannelError, not retryable) fails it at once.
 */
export async function runDelivery(ctx: AppContext, caller: Caller, opts: RunDeliveryOptions = {}): Promise<DispatchSummary> {
  await authorizeCaller(ctx, caller, 'delivery.run');
  const channels = opts.channels ?? ctx.channels ?? defaultChannels(ctx.configPath);
  const due = await dueNotifications(ctx.store.db, isoNow(ctx), opts.limit ?? 500, opts.only);
  const summary: DispatchSummary = { delivered: 0, failed: 0, retrying: 0, no_channel: 0 };
  for (const candidate of due) {
    const channel = Object.hasOwn(channels, candidate.channel) ? channels[candidate.channel] : undefined;
    if (!channel) {
      summary.no_channel += 1;
      await noteWaiting(ctx.store.db, candidate, `no channel: ${candidate.channel} delivery is not configured in this process`);
      continue;
    }
    const lease = new Date(ctx.now().getTime() + LEASE_MS).toISOString();
    if (!(await claimNotification(ctx.store.db, candidate, lease))) continue;
    const n: Notification = { ...candidate, status: 'queued' };
    const outcome = await attempt(channel, outbound(ctx, n));
    await inTransaction(ctx, async (trx) => {
      const now = ctx.now();
      const next = afterAttempt(n, outcome, now, ctx.config.delivery);
      if (next.status === 'delivered') summary.delivered += 1;
      else if (next.status === 'failed') summary.failed += 1;
      else summary.retrying += 1;
      await recordAttempt(trx, next, outcome, now.toISOString());
      if (outcome.ok) await ON_DELIVERED[n.purpose]?.(trx, ctx, next, outcome.proof);
      await audit(trx, ctx, DISPATCHER, { action: `notification.${next.status === 'queued' ? 'retry' : next.status}`, entityType: 'notification', entityId: n.id, incidentId: n.incident_id, state: next });
    });
  }
  return summary;
}
