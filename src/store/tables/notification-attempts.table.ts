import type { Insertable, Selectable, Updateable } from 'kysely';

/** How one delivery attempt ended. */
export type NotificationAttemptOutcome = 'delivered' | 'error';

export interface NotificationAttemptsTable {
  notification_id: string;
  attempt: number;
  at: string;
  outcome: NotificationAttemptOutcome;
  detail: string | null;
}

export type NotificationAttempt = Selectable<NotificationAttemptsTable>;
export type NewNotificationAttempt = Insertable<NotificationAttemptsTable>;
export type NotificationAttemptUpdate = Updateable<NotificationAttemptsTable>;
