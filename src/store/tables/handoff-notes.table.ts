import type { Insertable, Selectable, Updateable } from 'kysely';

export interface HandoffNotesTable {
  id: string;
  incident_id: string;
  decision_id: string;
  markdown: string;
  json: string;
  created_at: string;
}

export type HandoffNoteRow = Selectable<HandoffNotesTable>;
export type NewHandoffNoteRow = Insertable<HandoffNotesTable>;
export type HandoffNoteRowUpdate = Updateable<HandoffNotesTable>;
