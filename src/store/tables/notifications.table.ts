import type { Insertable, Selectable, Updateable } from 'kysely';

/** Why a notification was queued (the outbox's `Enqueue.purpose`). */
export type NotificationPurpose = 'reportout' | 'handoff' | 'reminder' | 'ticket';

/** A notification's delivery state in the outbox. */
export type NotificationStatus = 'queued' | 'sending' | 'delivered' | 'failed';

export interface NotificationsTable {
  id: string;
  incident_id: string;
  purpose: NotificationPurpose;
  role: string;
  channel: string;
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
}

export type Notification = Selectable<NotificationsTable>;
export type NewNotification = Insertable<NotificationsTable>;
export type NotificationUpdate = Updateable<NotificationsTable>;
