import type { Insertable, Selectable } from 'kysely';

/** One revision of an incident's handoff: what a triage run added to it, as sent to the IR lead. */
export interface HandoffRevisionsTable {
  incident_id: string;
  revision: number;
  /** JSON array of the findings added: `{ finding, asset, vulnerability, triggers, note }`. */
  added: string;
  markdown: string;
  created_at: string;
}

export type HandoffRevision = Selectable<HandoffRevisionsTable>;
export type NewHandoffRevision = Insertable<HandoffRevisionsTable>;
