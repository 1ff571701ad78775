/**
 * The outbox table's access: the rows a use case queues and the ones the dispatcher finds due,
 * claims, attempts and settles. Repository functions take `db | trx` first so the use cases in
 * `app/` compose them in their transactions; who may queue or dispatch, and the audit of it, are
 * the use cases' business, not this module's.
 */
import type { Kysely, Transaction } from 'kysely';
import type { AuditInput } from '../audit/chain.js';
import type { Config, Route } from '../config/schema.js';
import { createHash } from 'node:crypto';
import type { Database, Notification, NotificationAttemptsTable, NotificationPurpose } from '../store/schema.js';
import type { DeliveryEvent, DeliveryProof } from './channel.js';

type Db = Kysely<Database> | Transaction<Database>;

export interface Enqueue {
  /** The incident the message is about, or null for one that stands alone (then `subjectRef` says what it is about). */
  incident: string | null;
  subjectRef?: string;
  purpose: NotificationPurpose;
  role: string;
  route: Route;
  subject: string;
  body: string;
  /** The structured content channels render (see DeliveryEvent); null for plain text only. */
  event: DeliveryEvent | null;
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
    event: m.event === null ? null : JSON.stringify(m.event),
    subject_ref: m.subjectRef ?? null,
    proof: null,
    round_start: 0,
  };
  return { row, audit: { action: 'notification.queued', entityType: 'notification', entityId: id, incidentId: m.incident, state: row } };
}

/** A stored message's event, or null when it has none (queued before events existed). */
export function eventOf(n: Pick<Notification, 'event'>): DeliveryEvent | null {
  return n.event === null ? null : (JSON.parse(n.event) as DeliveryEvent);
}

/** Writes one queued message. */
export async function insertNotification(db: Db, row: Notification): Promise<void> {
  await db.insertInto('notifications').values(row).execute();
}

/** The idempotency keys already used by an incident's messages of one purpose (to queue no key twice). */
export async function idempotencyKeys(db: Db, incident: string, purpose: NotificationPurpose): Promise<Set<string>> {
  const rows = await db.selectFrom('notifications').select('idempotency_key').where('incident_id', '=', incident).where('purpose', '=', purpose).execute();
  return new Set(rows.map((n) => n.idempotency_key));
}

/**
 * Messages whose time has come, oldest first: queued ones, and `sending` ones whose lease ran out
 * (their dispatcher died mid-attempt, so another takes them over).
 */
export function dueNotifications(db: Db, now: string, limit: number, only?: readonly string[]): Promise<Notification[]> {
  let q = db
    .selectFrom('notifications')
    .selectAll()
    .where('status', 'in', ['queued', 'sending'])
    .where('next_attempt_at', '<=', now);
  if (only !== undefined) q = q.where('id', 'in', only.length > 0 ? only : ['']);
  return q
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

/**
 * How one attempt went: the receiver's proof, or the error — `retryable: false` when the receiver
 * refused the message for good (see ChannelError) — with the response code when there was one.
 */
export type AttemptOutcome = { ok: true; proof: DeliveryProof } | { ok: false; error: string; retryable: boolean; status?: number };

/** The longest wait between two attempts, whatever the backoff grows to. */
const MAX_WAIT_SECONDS = 24 * 3600;

/**
 * The wait before attempt `attempt + 1` of the message with key `key`: exponential
 * (`backoff_seconds · 2^(attempt − 1)`, at most a day) times a jitter factor in [0.5, 1). The
 * factor is a hash of the key and the attempt number, not a random draw: messages that failed
 * together (a receiver down for everyone) spread out over the interval instead of coming back at
 * once, and the same message waits the same time in every run, so tests reproduce it.
 */
export function backoffSeconds(key: string, attempt: number, baseSeconds: number): number {
  const full = Math.min(baseSeconds * 2 ** (attempt - 1), MAX_WAIT_SECONDS);
  const h = createHash('sha256').update(`${key}\u0000${attempt}`).digest();
  const jitter = 0.5 + h.readUInt32BE(0) / 2 ** 33;
  return full * jitter;
}

/**
 * A message's state after attempt number `n.attempts + 1` (pure): delivered; failed for good (the
 * dead letter) when the receiver refused it or at `delivery.max_attempts` attempts since it was
 * queued or last retried by hand; else queued again after the backoff (see backoffSeconds).
 */
export function afterAttempt(n: Notification, outcome: AttemptOutcome, now: Date, delivery: Config['delivery']): Notification {
  const attempts = n.attempts + 1;
  const at = now.toISOString();
  if (outcome.ok) {
    const { messageId, ...answer } = outcome.proof;
    return { ...n, attempts, status: 'delivered', sent_at: at, delivered_at: at, message_id: messageId, last_error: null, next_attempt_at: null, proof: JSON.stringify(answer) };
  }
  const inRound = attempts - n.round_start;
  if (!outcome.retryable || inRound >= delivery.max_attempts) return { ...n, attempts, status: 'failed', last_error: outcome.error, next_attempt_at: null };
  const wait = backoffSeconds(n.idempotency_key, inRound, delivery.backoff_seconds);
  return { ...n, attempts, status: 'queued', last_error: outcome.error, next_attempt_at: new Date(now.getTime() + Math.round(wait * 1000)).toISOString() };
}

/** Writes a message's state after an attempt (see afterAttempt) and the attempt's own row. */
export async function recordAttempt(trx: Db, next: Notification, outcome: AttemptOutcome, at: string): Promise<void> {
  await trx
    .updateTable('notifications')
    .set({ attempts: next.attempts, status: next.status, sent_at: next.sent_at, delivered_at: next.delivered_at, message_id: next.message_id, last_error: next.last_error, next_attempt_at: next.next_attempt_at, proof: next.proof })
    .where('id', '=', next.id)
    .execute();
  const attempt: NotificationAttemptsTable = outcome.ok
    ? { notification_id: next.id, attempt: next.attempts, at, outcome: 'delivered', detail: outcome.proof.response ?? null, channel: next.channel, status: outcome.proof.status ?? null, message_id: outcome.proof.messageId }
    : { notification_id: next.id, attempt: next.attempts, at, outcome: outcome.retryable ? 'error' : 'rejected', detail: outcome.error, channel: next.channel, status: outcome.status ?? null, message_id: null };
  await trx.insertInto('notification_attempts').values(attempt).execute();
}

/**
 * Puts a failed message (the dead letter) back in the queue, due at `at`, with a new round of
 * `delivery.max_attempts`; its attempts stay recorded. False when the message was not failed.
 */
export async function requeueNotification(db: Db, n: Notification, at: string): Promise<boolean> {
  const done = await db
    .updateTable('notifications')
    .set({ status: 'queued', next_attempt_at: at, round_start: n.attempts })
    .where('id', '=', n.id)
    .where('status', '=', 'failed')
    .executeTakeFirst();
  return Number(done.numUpdatedRows) === 1;
}
