import type { Insertable, Selectable, Updateable } from 'kysely';

export interface ImportsTable {
  id: string;
  kind: string;
  format: string;
  file: string;
  sha256: string;
  counts: string;
  actor: string;
  at: string;
}

export type ImportRow = Selectable<ImportsTable>;
export type NewImportRow = Insertable<ImportsTable>;
export type ImportRowUpdate = Updateable<ImportsTable>;
