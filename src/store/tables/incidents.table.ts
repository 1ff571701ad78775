import type { Insertable, Selectable, Updateable } from 'kysely';
import type { IncidentState, IncidentSeverity } from '../../domain/incident.js';

/** What a closed incident was determined to be (null while open or reopened). */
export type IncidentDetermination = 'incident' | 'non_incident';

export interface IncidentsTable {
  id: string;
  title: string;
  severity: IncidentSeverity;
  state: IncidentState;
  service: string | null;
  ir_lead: string | null;
  determination: IncidentDetermination | null;
  determination_rationale: string | null;
  none_identified_rationale: string | null;
  reportout_opened_at: string | null;
  reportout_sent_at: string | null;
  /** JSON array of gate items that were missing when the incident was closed in soft mode. */
  gate_flags: string | null;
  opened_by: string;
  created_at: string;
  updated_at: string;
  closed_at: string | null;
  /** The control card version in force when the incident was opened; null for incidents opened before cards were versioned (migration 0015). */
  control_card_version: number | null;
}

export type Incident = Selectable<IncidentsTable>;
export type NewIncident = Insertable<IncidentsTable>;
export type IncidentUpdate = Updateable<IncidentsTable>;
