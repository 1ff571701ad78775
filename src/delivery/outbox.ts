/**
 * The outbox table's access: the rows a use case queues and the ones the dispatcher finds due,
 * claims, attempts and settles. Repository functions take `db | trx` first so the use cases in
 * `app/` compose them in their transactions; who may queue or dispatch, and the audit of it, are
 * the use cases' business, not this module's.
 */
import type { Kysely, Transaction } from 'kysely';
import type { AuditInput } from '../audit/chain.js';
import type { Config, Route } from '../config/schema.js';
import type { Database, Notification, NotificationAttemptsTable } from '../store/schema.js';

type Db = Kysely<Database> | Transaction<Database>;

export interface Enqueue {
  incident: string;
  purpose: 'reportout' | 'handoff' | 'reminder' | 'ticket';
  role: string;
  route: Route;
  subject: string;
  body: string;
  /** Unique per recipient and message: the dispatcher never delivers one key twice. */
  idempotencyKey: string;
}

/** Notification ids: `NT-0001`. */
export const NOTIFICATION_PREFIX = 'NT';

/** What the audit chain is told of a queued message (the caller's `audit` adds time and actor). */
export type QueuedAudit = Omit<AuditInput, 'at' | 'actor'>;

/**
 * A queued message's row (id given) and its audit entry: what queuing one writes. Takes the clock
 * alone (an AppContext will do) so batch writers that reserve ids up front build the same rows.
 */
export function notificationRecord(clock: { now(): Date }, m: Enqueue, id: string): { row: Notification; audit: QueuedAudit } {
  const at = clock.now().toISOString();
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

/** Writes one queued message. */
export async function insertNotification(db: Db, row: Notification): Promise<void> {
  await db.insertInto('notifications').values(row).execute();
}

/** The idempotency keys already used by an incident's messages of one purpose (to queue no key twice). */
export async function idempotencyKeys(db: Db, incident: string, purpose: Enqueue['purpose']): Promise<Set<string>> {
  const rows = await db.selectFrom('notifications').select('idempotency_key').where('incident_id', '=', incident).where('purpose', '=', purpose).execute();
  return new Set(rows.map((n) => n.idempotency_key));
}

/**
 * Messages whose time has come, oldest first: queued ones, and `sending` ones whose lease ran out
 * (their dispatcher died mid-attempt, so another takes them over).
 */
export function dueNotifications(db: Db, now: string, limit: number): Promise<Notification[]> {
  return db
    .selectFrom('notifications')
    .selectAll()
    .where('status', 'in', ['queued', 'sending'])
    .where('next_attempt_at', '<=', now)
    .orderBy('created_at')
    .orderBy('id')
    .limit(limit)
    .execute();
}

/** Notes why a due message waits (its channel is missing here), writing only when the note changes. */
export async function noteWaiting(db: Db, n: Notification, reason: string): Promise<void> {
  if (n.last_error === reason) return;
  await db.updateTable('notifications').set({ last_error: reason }).where('id', '=', n.id).execute();
}

/**
 * Claims a due message for one attempt until `leaseUntil`, with a conditional UPDATE on the status
 * and time it was found with: of several dispatchers (server instances sharing PostgreSQL) exactly
 * one sees a row count of 1, so no message is attempted twice at once. True when this one won.
 */
export async function claimNotification(db: Db, n: Notification, leaseUntil: string): Promise<boolean> {
  const claimed = await db
    .updateTable('notifications')
    .set({ status: 'sending', next_attempt_at: leaseUntil })
    .where('id', '=', n.id)
    .where('status', '=', n.status)
    .where('next_attempt_at', '=', n.next_attempt_at)
    .executeTakeFirst();
  return Number(claimed.numUpdatedRows) === 1;
}

/** How one attempt went: the channel's message id, or its error. */
export type AttemptOutcome = { ok: true; messageId: string } | { ok: false; error: string };

/**
 * A message's state after attempt number `n.attempts + 1` (pure): delivered; or failed for good at
 * `delivery.max_attempts`; or queued again after `backoff_seconds · 2^(attempt − 1)`.
 */
export function afterAttempt(n: Notification, outcome: AttemptOutcome, now: Date, delivery: Config['delivery']): Notification {
  const attempts = n.attempts + 1;
  const at = now.toISOString();
  if (outcome.ok) return { ...n, attempts, status: 'delivered', sent_at: at, delivered_at: at, message_id: outcome.messageId, last_error: null, next_attempt_at: null };
  if (attempts >= delivery.max_attempts) return { ...n, attempts, status: 'failed', last_error: outcome.error, next_attempt_at: null };
  const wait = delivery.backoff_seconds * 2 ** (attempts - 1);
  return { ...n, attempts, status: 'queued', last_error: outcome.error, next_attempt_at: new Date(now.getTime() + wait * 1000).toISOString() };
}

/** Writes a message's state after an attempt (see afterAttempt) and the attempt's own row. */
export async function recordAttempt(trx: Db, next: Notification, outcome: AttemptOutcome, at: string): Promise<void> {
  await trx
    .updateTable('notifications')
    .set({ attempts: next.attempts, status: next.status, sent_at: next.sent_at, delivered_at: next.delivered_at, message_id: next.message_id, last_error: next.last_error, next_attempt_at: next.next_attempt_at })
    .where('id', '=', next.id)
    .execute();
  const attempt: NotificationAttemptsTable = { notification_id: next.id, attempt: next.attempts, at, outcome: outcome.ok ? 'delivered' : 'error', detail: outcome.ok ? outcome.messageId : outcome.error };
  await trx.insertInto('notification_attempts').values(attempt).execute();
}
