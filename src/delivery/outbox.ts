import type { Route } from '../config/schema.js';
import type { Notification } from '../store/schema.js';
import { audit, isoNow, nextId, type AppContext, type AuditEntry, type Caller, type Trx } from '../app/context.js';

export interface Enqueue {
  incident: string;
  purpose: 'reportout' | 'handoff' | 'reminder';
  role: string;
  route: Route;
  subject: string;
  body: string;
  /** Unique per recipient and message: the dispatcher never delivers one key twice. */
  idempotencyKey: string;
}

/**
 * Writes one message to the outbox inside the caller's transaction, with its audit event: the
 * message exists exactly when the state change that caused it committed.
 */
export async function enqueue(trx: Trx, ctx: AppContext, caller: Caller, m: Enqueue): Promise<Notification> {
  const { row, audit: entry } = notificationRecord(ctx, m, await nextId(trx, NOTIFICATION_PREFIX));
  await trx.insertInto('notifications').values(row).execute();
  await audit(trx, ctx, caller, entry);
  return row;
}

/** Notification ids: `NT-0001`. */
export const NOTIFICATION_PREFIX = 'NT';

/** A queued message's row (id given) and its audit entry: what `enqueue` writes. */
export function notificationRecord(ctx: AppContext, m: Enqueue, id: string): { row: Notification; audit: AuditEntry } {
  const at = isoNow(ctx);
  const row: Notification = {
    id,
    incident_id: m.incident,
    purpose: m.purpose,
    role: m.role,
    channel: m.route.channel,
    address: m.route.address,
    subject: m.subject,
    body: m.body,
    idempotency_key: m.idempotencyKey,
    status: 'queued',
    attempts: 0,
    next_attempt_at: at,
    message_id: null,
    last_error: null,
    created_at: at,
    sent_at: null,
    delivered_at: null,
  };
  return { row, audit: { action: 'notification.queued', entityType: 'notification', entityId: id, incidentId: m.incident, state: row } };
}
