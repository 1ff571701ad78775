import type { Insertable, Selectable } from 'kysely';

/** One version of the control card the store has run with: `card` is its canonical JSON, `digest` the SHA-256 (hex) of that text. */
export interface ControlCardVersionsTable {
  version: number;
  card: string;
  digest: string;
  /** When the store first ran with this version: when it took effect. */
  recorded_at: string;
  recorded_by: string;
}

export type ControlCardVersionRow = Selectable<ControlCardVersionsTable>;
export type NewControlCardVersionRow = Insertable<ControlCardVersionsTable>;
