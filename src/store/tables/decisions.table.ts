import type { Insertable, Selectable, Updateable } from 'kysely';
import type { Outcome } from '../../domain/escalation/vocabulary.js';

export interface DecisionsTable {
  id: string;
  finding_id: string;
  asset_id: string;
  vulnerability_id: string;
  outcome: Outcome;
  triggers: string;
  stay_reasons: string;
  flags: string;
  next_actions: string;
  ssvc: string;
  evidence: string;
  ruleset_version: string;
  input_hash: string;
  snapshot: string;
  incident_id: string | null;
  decided_at: string;
  /** The engine version that made the decision (1 for decisions made before engine versions were recorded). */
  engine_version: number;
}

export type DecisionRow = Selectable<DecisionsTable>;
export type NewDecisionRow = Insertable<DecisionsTable>;
export type DecisionRowUpdate = Updateable<DecisionsTable>;
