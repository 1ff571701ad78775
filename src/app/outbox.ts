/**
 * Queuing a message from inside a use case: the outbox row (delivery/outbox.ts), its readable id
 * and its audit event, all in the use case's transaction.
 */
import { insertNotification, notificationRecord, NOTIFICATION_PREFIX, type Enqueue } from '../delivery/outbox.js';
import type { Notification } from '../store/schema.js';
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
