/**
 * Queuing a message from inside a use case: the outbox row (delivery/outbox.ts), its readable id
 * and its audit event, all in the use case's transaction.
 */
import type { DeliveryEvent } from '../delivery/channel.js';
import { insertNotification, notificationRecord, NOTIFICATION_PREFIX, type Enqueue } from '../delivery/outbox.js';
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
