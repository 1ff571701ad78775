import type { Insertable, Selectable, Updateable } from 'kysely';
import type { Reachability, Validation } from '../../domain/records.js';

/** One analyst verdict on a finding: who, when, why, what it set (null = left as it was) and what was there before. */
export interface FindingVerdictsTable {
  id: string;
  finding_id: string;
  actor: string;
  at: string;
  note: string;
  validation: Validation | null;
  reachability: Reachability | null;
  /** As findings.containment_needed: 'false' when the verdict cleared the flag. */
  containment_needed: string | null;
  /** JSON: the finding's validation, reachability, containment_needed and ruled_out_by before the verdict. */
  before: string;
  /** The decision the verdict led to (the finding decided again). */
  decision_id: string | null;
}

export type FindingVerdictRow = Selectable<FindingVerdictsTable>;
export type NewFindingVerdictRow = Insertable<FindingVerdictsTable>;
export type FindingVerdictRowUpdate = Updateable<FindingVerdictsTable>;
