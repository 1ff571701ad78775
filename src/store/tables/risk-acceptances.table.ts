import type { Insertable, Selectable, Updateable } from 'kysely';
import type { RiskState } from '../../domain/incident.js';

export interface RiskAcceptancesTable {
  id: string;
  incident_id: string;
  weakness_id: string;
  requester: string;
  approver: string | null;
  rationale: string;
  controls: string;
  review_by: string;
  state: RiskState;
  reason: string | null;
  created_at: string;
  decided_at: string | null;
}

export type RiskAcceptance = Selectable<RiskAcceptancesTable>;
export type NewRiskAcceptance = Insertable<RiskAcceptancesTable>;
export type RiskAcceptanceUpdate = Updateable<RiskAcceptancesTable>;
