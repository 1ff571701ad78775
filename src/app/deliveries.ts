/**
 * The outbox as people see it: `closeloop deliveries list|show|retry` and the same in the API.
 * Reading needs `delivery.read`; putting a dead-lettered message back in the queue needs
 * `delivery.retry` and is audited.
 */
import { z } from 'zod';
import type { DeliveryEvent, DeliveryProof } from '../delivery/channel.js';
import { eventOf, requeueNotification } from '../delivery/outbox.js';
import { ClError, notFound } from '../errors.js';
import type { Notification, NotificationAttempt } from '../store/schema.js';
import { attemptsOf, findNotification, listNotifications } from '../store/repositories/notifications.js';
import { audit, authorize, inTransaction, isoNow, type AppContext, type Caller } from './context.js';
import { identifier, parseInput, recordInput } from './validate.js';

/** A message as `deliveries` shows it: its row, with the event and the proof read from their JSON. */
export type DeliveryView = Omit<Notification, 'event' | 'proof'> & { event: DeliveryEvent | null; proof: Omit<DeliveryProof, 'messageId'> | null };

/** The view of one outbox row. */
export function deliveryView(n: Notification): DeliveryView {
  return { ...n, event: eventOf(n), proof: n.proof === null ? null : (JSON.parse(n.proof) as Omit<DeliveryProof, 'messageId'>) };
}

/** Messages per page when the caller gives no limit, and the most a page may hold. */
export const DELIVERY_PAGE = { default: 100, max: 1000 } as const;

export const DELIVERY_STATES = ['queued', 'sending', 'delivered', 'failed'] as const;

export const listDeliveriesInput = z.strictObject({
  state: z.enum(DELIVERY_STATES).optional(),
  incident: identifier('incident id').optional(),
  limit: z.coerce.number().int().min(1).max(DELIVERY_PAGE.max).optional(),
  /** The `next` of the previous page. */
  after: identifier('after').optional(),
});

/** One page of outbox messages in the order they were queued, and the cursor of the next (null on the last page). */
export interface DeliveryPage {
  deliveries: DeliveryView[];
  next: string | null;
}

/** Lists outbox messages, optionally in one state or of one incident, a page at a time. */
export async function listDeliveries(ctx: AppContext, caller: Caller, input: z.input<typeof listDeliveriesInput>): Promise<DeliveryPage> {
  await authorize(ctx, caller, 'delivery.read');
  const p = parseInput(listDeliveriesInput, input);
  const limit = p.limit ?? DELIVERY_PAGE.default;
  const rows = await listNotifications(ctx.store.db, { status: p.state, incident: p.incident, after: p.after, limit: limit + 1 });
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return { deliveries: page.map(deliveryView), next: rows.length > limit && last !== undefined ? last.id : null };
}

/** One message with every attempt made to deliver it. */
export interface DeliveryDetail {
  delivery: DeliveryView;
  attempts: NotificationAttempt[];
}

export const deliveryIdInput = z.strictObject({ id: identifier('delivery id') });

async function loadDelivery(ctx: AppContext, id: string): Promise<Notification> {
  const n = await findNotification(ctx.store.db, id);
  if (n === undefined) throw notFound('delivery', id);
  return n;
}

/** One outbox message and its attempts (time, channel, outcome, response code, answer or error). */
export async function showDelivery(ctx: AppContext, caller: Caller, input: z.input<typeof deliveryIdInput>): Promise<DeliveryDetail> {
  await authorize(ctx, caller, 'delivery.read');
  const p = parseInput(deliveryIdInput, input);
  const n = await loadDelivery(ctx, p.id);
  return { delivery: deliveryView(n), attempts: await attemptsOf(ctx.store.db, n.id) };
}

/**
 * Puts a dead-lettered (`failed`) message back in the queue, due now, with a new round of
 * `delivery.max_attempts`; its attempts stay on record and the retry is audited. Refused for a
 * message in any other state (CL_RULE_REFUSED, with its state).
 */
export async function retryDelivery(ctx: AppContext, caller: Caller, input: z.input<typeof deliveryIdInput>): Promise<DeliveryView> {
  await authorize(ctx, caller, 'delivery.retry');
  const p = parseInput(deliveryIdInput, input);
  return inTransaction(ctx, async (trx) => {
    const n = await findNotification(trx, p.id);
    if (n === undefined) throw notFound('delivery', p.id);
    const at = isoNow(ctx);
    if (!(await requeueNotification(trx, n, at))) {
      throw new ClError('CL_RULE_REFUSED', `${n.id} is ${n.status}; only a failed delivery (the dead letter) can be retried`, { current: n.status });
    }
    const next: Notification = { ...n, status: 'queued', next_attempt_at: at, round_start: n.attempts };
    await audit(trx, ctx, caller, { action: 'notification.requeued', entityType: 'notification', entityId: n.id, incidentId: n.incident_id, state: next });
    return deliveryView(next);
  });
}

// The record each input describes, named when a field is refused (see parseInput).
recordInput('delivery', listDeliveriesInput);
recordInput('delivery', deliveryIdInput);
