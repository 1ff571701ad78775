import type { Insertable, Selectable } from 'kysely';

/** The closed incident an incident was opened after, for the same grouping key. */
export interface IncidentFollowsTable {
  incident_id: string;
  follows: string;
}

export type IncidentFollow = Selectable<IncidentFollowsTable>;
export type NewIncidentFollow = Insertable<IncidentFollowsTable>;
