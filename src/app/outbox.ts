/**
 * Queuing a message from inside a use case: the outbox row (delivery/outbox.ts), its readable id
 * and its audit event, all in the use case's transaction.
 */
import { subscribersOf } from '../config/channels.js';
import type { DeliveryEvent } from '../delivery/channel.js';
import { insertNotification, notificationRecord, NOTIFICATION_PREFIX, type Enqueue } from '../delivery/outbox.js';
import { findNotificationByKey } from '../store/repositories/notifications.js';
import type { Incident, Notification } from '../store/schema.js';
import { audit, nextId, type AppContext, type Caller, type Trx } from './context.js';

/**
 * Writes one message to the outbox inside the caller's transaction, with its audit event: the
 * message exists exactly when the state change that caused it committed.
 */
export async function enqueue(trx: Trx, ctx: AppContext, caller: Caller, m: Enqueue): Promise<Notification> {
  const { row, audit: entry } = notificationRecord(ctx, m, await nextId(trx, NOTIFICATION_PREFIX));
  await insertNotification(trx, row);
  await audit(trx, ctx, caller, entry);
  return row;
}

/** A message not tied to an incident (a channel test, an SLA warning, a checkpoint witness): what it is about, and to whom. */
export type StandaloneMessage = Omit<Enqueue, 'incident' | 'subjectRef'> & { subjectRef: string };

/**
 * Queues a message that is about no incident through the same outbox (the caller authorizes and
 * runs the transaction, as for `enqueue`); `subjectRef` names what it is about (`RI-0001`,
 * `channel:email`, `checkpoint:12`) for `deliveries list` and the audit.
 */
export function enqueueStandalone(trx: Trx, ctx: AppContext, caller: Caller, m: StandaloneMessage): Promise<Notification> {
  return enqueue(trx, ctx, caller, { ...m, incident: null });
}

/** An incident as an event carries it. */
export function eventIncident(inc: Pick<Incident, 'id' | 'title' | 'severity' | 'state'>): NonNullable<DeliveryEvent['incident']> {
  return { id: inc.id, title: inc.title, severity: inc.severity, state: inc.state };
}

/**
 * The incident's link in messages: its record in the API under `server.public_url` (undefined
 * when no public URL is configured, and then messages name the incident only).
 */
export function incidentLink(ctx: AppContext, id: string): string | undefined {
  const base = ctx.config.server.public_url;
  return base === undefined ? undefined : new URL(`api/v1/incidents/${encodeURIComponent(id)}`, base.endsWith('/') ? base : `${base}/`).toString();
}

/** The role a subscription message is addressed to: the endpoint it goes to, not a person's role. */
export const subscriberRole = (endpoint: string): string => `subscriber:${endpoint}`;

/** What an event is about and the key that makes it one event (`RI-0001:2026-12-01`, `INC-0007:r2`). */
export interface SubscribedEvent {
  incident: string | null;
  /** What an event about no incident concerns (`RI-0001`, `RA-0002`). */
  subjectRef?: string;
  /** Unique per event of its type: the same event is never queued twice to one endpoint. */
  key: string;
  subject?: string;
  body?: string;
}

/**
 * Queues `event` to every webhook endpoint subscribed to its type (`delivery.webhook.subscriptions`),
 * in the caller's transaction, so integrations hear of the event exactly when it committed. Each
 * message's idempotency key is `sub:<type>:<key>:<endpoint>`; one already queued is left as it is,
 * so repeating the event never queues it twice. The messages queued (none without subscribers).
 */
export async function notifySubscribers(trx: Trx, ctx: AppContext, caller: Caller, event: DeliveryEvent, about: SubscribedEvent): Promise<Notification[]> {
  const queued: Notification[] = [];
  for (const route of subscribersOf(ctx.config, event.type)) {
    const idempotencyKey = `sub:${event.type}:${about.key}:${route.address}`;
    if ((await findNotificationByKey(trx, idempotencyKey)) !== undefined) continue;
    const m = { purpose: 'subscription' as const, role: subscriberRole(route.address), route, event, idempotencyKey, ...subscriptionText(event, about) };
    queued.push(await (about.incident === null ? enqueueStandalone(trx, ctx, caller, { ...m, subjectRef: about.subjectRef ?? about.key }) : enqueue(trx, ctx, caller, { ...m, incident: about.incident, subjectRef: about.subjectRef })));
  }
  return queued;
}

/** A subscription message's subject and plain-text body: the caller's, else the event type, what it concerns and its lines. */
function subscriptionText(event: DeliveryEvent, about: SubscribedEvent): { subject: string; body: string } {
  const what = about.incident ?? about.subjectRef ?? about.key;
  const lines = (event.lines ?? []).map((l) => (l.label === '' ? l.text : `${l.label}: ${l.text}`));
  return { subject: about.subject ?? `[closeloop] ${event.type} ${what}`, body: about.body ?? [`${event.type}: ${what}`, ...lines].join('\n') };
}
