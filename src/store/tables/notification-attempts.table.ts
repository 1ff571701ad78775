import type { Insertable, Selectable, Updateable } from 'kysely';

/** How one delivery attempt ended: delivered, failed to be retried (`error`), or refused for good (`rejected`). */
export type NotificationAttemptOutcome = 'delivered' | 'error' | 'rejected';

export interface NotificationAttemptsTable {
  notification_id: string;
  attempt: number;
  at: string;
  outcome: NotificationAttemptOutcome;
  /** The receiver's answer (an SMTP response line, a ticket URL) or the error. */
  detail: string | null;
  /** The channel the attempt went through (null on attempts recorded before it was kept). */
  channel: string | null;
  /** The response code: HTTP status or SMTP reply code, when the receiver answered one. */
  status: number | null;
  /** The channel's message id of a delivered attempt (SMTP Message-ID, webhook-id, ticket key). */
  message_id: string | null;
}

export type NotificationAttempt = Selectable<NotificationAttemptsTable>;
export type NewNotificationAttempt = Insertable<NotificationAttemptsTable>;
export type NotificationAttemptUpdate = Updateable<NotificationAttemptsTable>;
