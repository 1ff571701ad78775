import type { Insertable, Selectable, Updateable } from 'kysely';

export interface AcknowledgmentsTable {
  id: string;
  incident_id: string;
  role: string;
  actor: string;
  comment: string | null;
  at: string;
  /** The report-out revision (counter `reportout:<INC>`) last sent when the role acknowledged. */
  revision: number;
}

export type Acknowledgment = Selectable<AcknowledgmentsTable>;
export type NewAcknowledgment = Insertable<AcknowledgmentsTable>;
export type AcknowledgmentUpdate = Updateable<AcknowledgmentsTable>;
