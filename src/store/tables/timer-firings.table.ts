import type { Insertable, Selectable } from 'kysely';

/** The kinds of timer that fire once each (src/app/timers.ts). */
export type TimerKind = 'ack' | 'remediation-overdue' | 'risk-review-warning' | 'risk-expiry';

export interface TimerFiringsTable {
  kind: TimerKind;
  /** What fired, in the kind's own terms: `INC-2026-0001:r2:service_owner:L1`, `RI-0004:2026-12-01`. */
  subject: string;
  fired_at: string;
}

export type TimerFiring = Selectable<TimerFiringsTable>;
export type NewTimerFiring = Insertable<TimerFiringsTable>;
