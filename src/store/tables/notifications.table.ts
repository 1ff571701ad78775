import type { Generated, Insertable, Selectable, Updateable } from 'kysely';

/**
 * Why a notification was queued (the outbox's `Enqueue.purpose`). `reportout`, `handoff` and
 * `reminder` (and `vendor_notice`, a third party told of its weakness) belong to an incident; the others may stand alone (no incident): a channel test, an
 * SLA warning on a remediation item, a ticket, an audit checkpoint witness. `subscription` is the
 * copy of an event for a webhook endpoint subscribed to its type (`delivery.webhook.subscriptions`).
 */
export type NotificationPurpose = 'reportout' | 'handoff' | 'reminder' | 'vendor_notice' | 'ticket' | 'sla' | 'channel_test' | 'witness' | 'subscription';

/** A notification's delivery state in the outbox. */
export type NotificationStatus = 'queued' | 'sending' | 'delivered' | 'failed';

export interface NotificationsTable {
  id: string;
  /** The incident the message is about; null for a message not tied to one (see `subject_ref`). */
  incident_id: string | null;
  purpose: NotificationPurpose;
  role: string;
  channel: string;
  /** The recipient as the route names it: a mailbox, a directory, or a channel endpoint's NAME (never its URL). */
  address: string;
  subject: string;
  body: string;
  idempotency_key: string;
  status: NotificationStatus;
  attempts: number;
  next_attempt_at: string | null;
  message_id: string | null;
  last_error: string | null;
  created_at: string;
  sent_at: string | null;
  delivered_at: string | null;
  /** The structured event (JSON DeliveryEvent, delivery/channel.ts); null on messages queued before events existed. */
  event: string | null;
  /** What a message without an incident is about (`RI-0001`, `channel:email`); null when `incident_id` says it. */
  subject_ref: string | null;
  /** The receiver's answer when delivered (JSON: status, response, ticket of the DeliveryProof). */
  proof: string | null;
  /** Attempts made before the last manual retry: a retried message gets `delivery.max_attempts` more. */
  round_start: Generated<number>;
}

export type Notification = Selectable<NotificationsTable>;
export type NewNotification = Insertable<NotificationsTable>;
export type NotificationUpdate = Updateable<NotificationsTable>;
