import type { Insertable, Selectable, Updateable } from 'kysely';

/** How an acknowledgment came: the CLI, the API, or the signed link in the message. */
export type AckVia = 'cli' | 'api' | 'link';

export interface AcknowledgmentsTable {
  id: string;
  incident_id: string;
  role: string;
  actor: string;
  comment: string | null;
  at: string;
  /** The report-out revision (counter `reportout:<INC>`) last sent when the role acknowledged. */
  revision: number;
  /** How it came; null on acknowledgments recorded before this was kept. */
  via: AckVia | null;
}

export type Acknowledgment = Selectable<AcknowledgmentsTable>;
export type NewAcknowledgment = Insertable<AcknowledgmentsTable>;
export type AcknowledgmentUpdate = Updateable<AcknowledgmentsTable>;

/**
 * An acknowledgment a later report-out revision superseded (the role's part changed, so it was
 * asked again): kept as evidence, never counted.
 */
export interface AcknowledgmentsSupersededTable extends AcknowledgmentsTable {
  superseded_at: string;
  /** The revision that changed the role's part. */
  superseded_by: number;
}

export type SupersededAcknowledgment = Selectable<AcknowledgmentsSupersededTable>;
