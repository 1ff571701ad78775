import type { Insertable, Selectable, Updateable } from 'kysely';

/** What started a triage run: `closeloop triage`, the decisions of a findings import, an analyst's verdict on a finding, or an asset merge re-deciding the findings it moved. */
export type TriageRunSource = 'triage' | 'import' | 'verdict' | 'merge';

/** One triage run: stored triage (`closeloop triage`) or the decisions of a findings import. */
export interface TriageRunsTable {
  id: string;
  source: TriageRunSource;
  ruleset_digest: string;
  ruleset_version: string;
  import_id: string | null;
  actor: string;
  at: string;
  evaluated: number;
  /** JSON: by_outcome and by_trigger. */
  counts: string;
}

export type TriageRunRow = Selectable<TriageRunsTable>;
export type NewTriageRunRow = Insertable<TriageRunsTable>;
export type TriageRunRowUpdate = Updateable<TriageRunsTable>;
